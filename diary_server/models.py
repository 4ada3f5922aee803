"""Peewee models of the diary server, on a proxy bound by the app factory.

The schema is built by the numbered migrations in ``diary_server/migrations``; the same
models run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import peewee

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
    created_at = peewee.DateTimeField()

    class Meta:
        table_name = "users"

    def public(self) -> dict:
        return {"id": self.id, "email": self.email, "name": self.name, "role": self.role}


class ApiToken(BaseModel):
    """A bearer token; only its SHA-256 is stored, so a database leak yields no sessions."""

    user = peewee.ForeignKeyField(User, backref="tokens", on_delete="CASCADE")
    token_hash = peewee.CharField(max_length=64, unique=True)
    label = peewee.CharField(max_length=100)
    created_at = peewee.DateTimeField()
    last_used_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "api_tokens"


class LoginAttempt(BaseModel):
    """Failed sign-ins, kept in the database so the limit holds across gunicorn workers."""

    email = peewee.CharField(max_length=254, index=True)
    ip = peewee.CharField(max_length=64, index=True)
    at = peewee.DateTimeField(index=True)

    class Meta:
        table_name = "login_attempts"
