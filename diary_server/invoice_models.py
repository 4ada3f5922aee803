"""Peewee models of the weekly invoices (migration ``m0011_invoices``), on the same
:data:`diary_server.models.diary_db` proxy. Money is integer minor units (cents); every time
is aware UTC (:class:`dbkit.fields.UTCDateTimeField`)."""

from __future__ import annotations

import peewee

from dbkit.fields import UTCDateTimeField
from diary_server.models import BaseModel, Contract, User

INVOICE_STATUSES = ("issued", "approved", "released")
LINE_KINDS = ("logged", "manual")


class InvoiceCounter(BaseModel):
    """The last invoice number given to a client in a year: numbers run 1, 2, 3... without gaps."""

    client = peewee.ForeignKeyField(User, on_delete="RESTRICT")
    year = peewee.IntegerField()
    last_number = peewee.IntegerField()

    class Meta:
        table_name = "invoice_counters"
        primary_key = peewee.CompositeKey("client", "year")


class Invoice(BaseModel):
    """A contract's invoice for one work week (unique per contract and week); never edited
    once issued, apart from its status and the dates it moved."""

    contract = peewee.ForeignKeyField(Contract, on_delete="RESTRICT")
    week_start = UTCDateTimeField()
    number = peewee.CharField(max_length=40, unique=True)
    rate_cents = peewee.IntegerField()
    currency = peewee.CharField(max_length=3)
    minutes = peewee.IntegerField()
    amount_cents = peewee.BigIntegerField()
    rounding_rule = peewee.TextField()
    status = peewee.CharField(max_length=10)
    issued_at = UTCDateTimeField()
    approved_at = UTCDateTimeField(null=True)
    #: The client who approved it; None when it was approved by itself at the end of the review.
    approved_by = peewee.ForeignKeyField(User, null=True, on_delete="RESTRICT")
    released_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "invoices"


class InvoiceLine(BaseModel):
    """Billable minutes of one UTC day, logged by the app or manual, and their amount."""

    invoice = peewee.ForeignKeyField(Invoice, backref="lines", on_delete="CASCADE")
    day = UTCDateTimeField()  # the day's 00:00 UTC
    kind = peewee.CharField(max_length=10)
    minutes = peewee.IntegerField()
    amount_cents = peewee.BigIntegerField()

    class Meta:
        table_name = "invoice_lines"


class InvoiceWeek(BaseModel):
    """A (contract, week) the issuer has settled, with its invoice or None when nothing was
    billable. Its key is what makes each week's issuing happen once."""

    contract = peewee.ForeignKeyField(Contract, on_delete="CASCADE")
    week_start = UTCDateTimeField()
    invoice = peewee.ForeignKeyField(Invoice, null=True, on_delete="RESTRICT")
    settled_at = UTCDateTimeField()

    class Meta:
        table_name = "invoice_weeks"
        primary_key = peewee.CompositeKey("contract", "week_start")
