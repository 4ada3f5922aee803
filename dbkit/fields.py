"""One time convention for both programs' databases: aware UTC datetimes in Python.

:class:`UTCDateTimeField` takes only aware datetimes (a naive one is a programming error:
its zone would be a guess) and returns aware UTC ones. What it stores:

- on SQLite, fixed-width text ``YYYY-MM-DD HH:MM:SS.ffffff`` of the UTC instant, which
  sorts and compares as the instants do (plain SQL compares these texts);
- on PostgreSQL, ``timestamp with time zone``.

Plain SQL goes through the same two functions: :func:`to_db` for parameters and
:func:`from_db` for what comes back (text on SQLite, a datetime on PostgreSQL).
Imports only peewee.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import overload

import peewee

#: The stored text on SQLite: fixed width, so text order is time order.
SQLITE_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def require_utc(t: datetime) -> datetime:
    """``t`` in UTC; a naive datetime is refused (raise ``ValueError``)."""
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"naive datetime {t!r}: pass a timezone-aware instant (UTC)")
    return t.astimezone(UTC)


@overload
def to_db(t: datetime, postgres: bool) -> str | datetime: ...
@overload
def to_db(t: None, postgres: bool) -> None: ...
def to_db(t: datetime | None, postgres: bool) -> str | datetime | None:
    """A parameter for plain SQL: the aware instant on PostgreSQL, the stored text on SQLite."""
    if t is None:
        return None
    if not isinstance(t, datetime):
        raise TypeError(f"expected an aware datetime, got {type(t).__name__}")
    t = require_utc(t)
    return t if postgres else t.strftime(SQLITE_FORMAT)


@overload
def from_db(value: str | datetime) -> datetime: ...
@overload
def from_db(value: None) -> None: ...
def from_db(value: str | datetime | None) -> datetime | None:
    """A stored time as aware UTC: SQLite's text (older rows may lack the microseconds), or
    PostgreSQL's datetime (aware from ``timestamp with time zone``)."""
    if value is None:
        return None
    if isinstance(value, str):
        return _parse(value)
    return _stored_utc(value)


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> datetime:
    """Remembered: a week view reads the same 1,008 starts on every request."""
    return _stored_utc(datetime.fromisoformat(text))


def _stored_utc(t: datetime) -> datetime:
    """Every stored time is UTC: text without an offset (SQLite) names a UTC instant."""
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def is_postgres_db(db: object) -> bool:
    """Is ``db`` (or the database a proxy is bound to) PostgreSQL?"""
    return isinstance(getattr(db, "obj", db), peewee.PostgresqlDatabase)


class UTCDateTimeField(peewee.Field):
    """Aware UTC datetimes; ``DATETIME`` text on SQLite, ``timestamp with time zone`` on PostgreSQL."""

    field_type = "DATETIME"

    def _postgres(self) -> bool:
        model = getattr(self, "model", None)
        return model is not None and is_postgres_db(model._meta.database)

    def ddl_datatype(self, ctx):
        if self._postgres():
            return peewee.SQL("TIMESTAMP WITH TIME ZONE")
        return super().ddl_datatype(ctx)

    def db_value(self, value: datetime | None) -> str | datetime | None:
        return to_db(value, self._postgres())

    @overload
    def python_value(self, value: str | datetime) -> datetime: ...
    @overload
    def python_value(self, value: None) -> None: ...
    def python_value(self, value: str | datetime | None) -> datetime | None:
        return from_db(value)
