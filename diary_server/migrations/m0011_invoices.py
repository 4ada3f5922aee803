"""Weekly invoices (issue 15): one per contract and work week with billable time, its lines
per UTC day (logged and manual time apart), and a counter per client and year that numbers
them without gaps.

``invoice_weeks`` records every (contract, week) the issuer has settled, with or without an
invoice: its primary key is what makes issuing happen once, whoever races for it, and a week
with nothing billable is not looked at again. Money is integer minor units (cents).
"""

import peewee

from dbkit.fields import UTCDateTimeField


def apply(db):
    class User(peewee.Model):
        class Meta:
            database = db
            table_name = "users"

    class Contract(peewee.Model):
        class Meta:
            database = db
            table_name = "contracts"

    class InvoiceCounter(peewee.Model):
        client = peewee.ForeignKeyField(User, on_delete="RESTRICT")
        year = peewee.IntegerField()
        last_number = peewee.IntegerField()

        class Meta:
            database = db
            table_name = "invoice_counters"
            primary_key = peewee.CompositeKey("client", "year")

    class Invoice(peewee.Model):
        contract = peewee.ForeignKeyField(Contract, on_delete="RESTRICT")
        week_start = UTCDateTimeField()
        number = peewee.CharField(max_length=40, unique=True)
        rate_cents = peewee.IntegerField()
        currency = peewee.CharField(max_length=3)
        minutes = peewee.IntegerField()
        amount_cents = peewee.BigIntegerField()
        rounding_rule = peewee.TextField()
        status = peewee.CharField(
            max_length=10, constraints=[peewee.Check("status IN ('issued', 'approved', 'released')")]
        )
        issued_at = UTCDateTimeField()
        approved_at = UTCDateTimeField(null=True)
        approved_by = peewee.ForeignKeyField(User, null=True, on_delete="RESTRICT")
        released_at = UTCDateTimeField(null=True)

        class Meta:
            database = db
            table_name = "invoices"
            indexes = ((("contract", "week_start"), True), (("status", "week_start"), False))

    class InvoiceLine(peewee.Model):
        invoice = peewee.ForeignKeyField(Invoice, on_delete="CASCADE")
        day = UTCDateTimeField()
        kind = peewee.CharField(max_length=10, constraints=[peewee.Check("kind IN ('logged', 'manual')")])
        minutes = peewee.IntegerField()
        amount_cents = peewee.BigIntegerField()

        class Meta:
            database = db
            table_name = "invoice_lines"
            indexes = ((("invoice", "day", "kind"), True),)

    class InvoiceWeek(peewee.Model):
        contract = peewee.ForeignKeyField(Contract, on_delete="CASCADE")
        week_start = UTCDateTimeField()
        invoice = peewee.ForeignKeyField(Invoice, null=True, on_delete="RESTRICT")
        settled_at = UTCDateTimeField()

        class Meta:
            database = db
            table_name = "invoice_weeks"
            primary_key = peewee.CompositeKey("contract", "week_start")

    db.create_tables([InvoiceCounter, Invoice, InvoiceLine, InvoiceWeek])
