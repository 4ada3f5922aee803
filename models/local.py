"""Peewee models of the Team app's local cache.

The models sit on :data:`local_db`, a proxy bound by :func:`open_local_database`; the
schema itself is created by the numbered migrations in ``models/migrations``, never by
``create_tables``, so an old cache is always upgraded the same way a new one is built.
"""

from __future__ import annotations

from pathlib import Path

import peewee

from dbkit.database import open_sqlite
from dbkit.fields import UTCDateTimeField
from dbkit.migrate import Migration, discover, migrate
from models import migrations as migrations_package

local_db = peewee.DatabaseProxy()


class BaseModel(peewee.Model):
    class Meta:
        database = local_db


class AppState(BaseModel):
    """Small named values the app remembers between launches (e.g. the last contract)."""

    key = peewee.CharField(primary_key=True)
    value = peewee.TextField()

    class Meta:
        table_name = "app_state"


class Account(BaseModel):
    """Who is signed in, on which diary server. The token itself is never stored here."""

    diary_url = peewee.TextField()
    user_id = peewee.IntegerField()
    email = peewee.TextField()
    name = peewee.TextField()
    role = peewee.TextField()
    signed_in_at = UTCDateTimeField()

    class Meta:
        table_name = "account"


class Contract(BaseModel):
    """The local copy of a contract from the diary (refreshed by the sync poller)."""

    id = peewee.IntegerField()
    diary_url = peewee.TextField()
    title = peewee.TextField()
    client_name = peewee.TextField()
    client_email = peewee.TextField()
    freelancer_name = peewee.TextField()
    hourly_rate = peewee.TextField()
    currency = peewee.TextField()
    next_hourly_rate = peewee.TextField(null=True)
    next_rate_from = UTCDateTimeField(null=True)
    weekly_limit_hours = peewee.IntegerField(null=True)
    manual_time_allowed = peewee.BooleanField()
    status = peewee.TextField()
    activity_labels = peewee.TextField()  # JSON list
    updated_at = UTCDateTimeField()
    client_timezone = peewee.TextField(null=True)  # IANA name; m0007

    class Meta:
        table_name = "contract"
        primary_key = peewee.CompositeKey("diary_url", "id")

    @property
    def labels(self) -> list[str]:
        import json

        return json.loads(self.activity_labels)


def get_state(key: str, default: str | None = None) -> str | None:
    # Plain SQL: the main screen reads a dozen of these per render, and building the query
    # through peewee cost ~1 ms each, most of the page's time.
    row = local_db.execute_sql("SELECT value FROM app_state WHERE key = ?", (key,)).fetchone()
    return row[0] if row else default


def set_state(key: str, value: str | None) -> None:
    """Store ``value`` (None removes the key). A value that did not change changes no row, so
    the sync worker's rounds that find nothing write nothing to disk."""
    if value is None:
        local_db.execute_sql("DELETE FROM app_state WHERE key = ?", (key,))
    else:
        local_db.execute_sql(
            "INSERT INTO app_state (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE app_state.value IS NOT excluded.value",
            (key, value),
        )


def move_state_suffix(old_suffix: str, new_suffix: str) -> None:
    """Keys ending in ``old_suffix`` (e.g. ``":<diary URL>"``) end in ``new_suffix`` instead;
    a key already there gives way. Call inside a transaction."""
    for state in AppState.select(AppState.key):
        if state.key.endswith(old_suffix):
            moved = state.key[: -len(old_suffix)] + new_suffix
            AppState.delete().where(AppState.key == moved).execute()
            AppState.update(key=moved).where(AppState.key == state.key).execute()


def local_migrations() -> list[Migration]:
    return discover(migrations_package)


def open_local_database(path: Path) -> peewee.SqliteDatabase:
    """Open the cache at ``path``, apply pending migrations and bind the models to it."""
    db = open_sqlite(path)
    db.connect(reuse_if_open=True)
    migrate(db, local_migrations())
    local_db.initialize(db)
    return db
