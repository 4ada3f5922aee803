"""Peewee models of the diary server, on a proxy bound by the app factory.

The schema is built by the numbered migrations in ``diary_server/migrations``; the same
models run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import peewee

from dbkit.fields import UTCDateTimeField

diary_db = peewee.DatabaseProxy()

ROLES = ("client", "freelancer")


class BaseModel(peewee.Model):
    class Meta:
        database = diary_db


class User(BaseModel):
    email = peewee.CharField(max_length=254, unique=True)
    name = peewee.CharField(max_length=100)
    role = peewee.CharField(max_length=20)
    password_hash = peewee.CharField(max_length=255)
    created_at = UTCDateTimeField()
    #: An IANA zone name, for the Work Diary's "client's time zone" switch (m0005).
    timezone = peewee.CharField(max_length=64, default="UTC")

    class Meta:
        table_name = "users"

    def public(self) -> dict:
        return {"id": self.id, "email": self.email, "name": self.name, "role": self.role}


class ApiToken(BaseModel):
    """A bearer token; only its SHA-256 is stored, so a database leak yields no sessions."""

    user = peewee.ForeignKeyField(User, backref="tokens", on_delete="CASCADE")
    token_hash = peewee.CharField(max_length=64, unique=True)
    label = peewee.CharField(max_length=100)
    created_at = UTCDateTimeField()
    last_used_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "api_tokens"


class WebSession(BaseModel):
    """A browser session of the diary's own pages. The cookie holds a random id and only its
    SHA-256 is stored here, like API tokens; it is no API token, so a copied cookie cannot be
    used as a Bearer token, and signing out deletes the row."""

    user = peewee.ForeignKeyField(User, backref="web_sessions", on_delete="CASCADE")
    id_hash = peewee.CharField(max_length=64, unique=True)
    created_at = UTCDateTimeField()
    last_used_at = UTCDateTimeField()

    class Meta:
        table_name = "web_sessions"


CONTRACT_STATUSES = ("active", "paused", "ended")


class Contract(BaseModel):
    """An hourly contract between a client and a freelancer."""

    client = peewee.ForeignKeyField(User, backref="client_contracts", on_delete="RESTRICT")
    freelancer = peewee.ForeignKeyField(User, backref="freelancer_contracts", on_delete="RESTRICT")
    title = peewee.CharField(max_length=120)
    currency = peewee.CharField(max_length=3)
    weekly_limit_hours = peewee.IntegerField(null=True)
    manual_time_allowed = peewee.BooleanField(default=False)
    status = peewee.CharField(max_length=10)
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField(index=True)
    ended_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "contracts"


class ContractRate(BaseModel):
    """The hourly rate from a work week on; a change is a new row starting next Monday."""

    contract = peewee.ForeignKeyField(Contract, backref="rates", on_delete="CASCADE")
    rate_cents = peewee.IntegerField()
    effective_from = UTCDateTimeField()

    class Meta:
        table_name = "contract_rates"


class ActivityLabel(BaseModel):
    """A label the client defined; removed labels are archived, since segments may name them."""

    contract = peewee.ForeignKeyField(Contract, backref="labels", on_delete="CASCADE")
    name = peewee.CharField(max_length=60)
    position = peewee.IntegerField()
    archived = peewee.BooleanField(default=False)

    class Meta:
        table_name = "activity_labels"


class LoginThrottle(BaseModel):
    """The sign-in throttle's counter per hashed key (migration m0009), kept by
    ``diary_server/throttle.py`` with plain SQL (one statement increments and reads it);
    declared so the schema test compares it with its migration. Times are epoch seconds."""

    key_hash = peewee.CharField(max_length=64, primary_key=True)
    attempts = peewee.IntegerField()
    blocked_until = peewee.BigIntegerField()
    last_at = peewee.BigIntegerField()

    class Meta:
        table_name = "login_throttle"
