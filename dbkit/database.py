"""Database opening helpers shared by the Team app cache and the diary server.

Both programs keep their models on a :class:`peewee.DatabaseProxy` so that importing a
model module never opens a file; the composition root binds the proxy once it knows the
settings. Imports only peewee, so the diary server may use it without pulling in the
Team app's tables.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import peewee
from playhouse.db_url import connect as connect_url

if TYPE_CHECKING:
    from dbkit.pool import PoolOptions

log = logging.getLogger(__name__)

#: Milliseconds a writer waits for a lock before SQLite gives up. Long enough for the
#: capture loop, the sync worker and the web server to take turns without errors.
SQLITE_BUSY_TIMEOUT_MS = 5000

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": SQLITE_BUSY_TIMEOUT_MS,
    "synchronous": "normal",
}


def open_sqlite(path: Path | str, pool: PoolOptions | None = None) -> peewee.SqliteDatabase:
    """Open (creating if needed) a SQLite file with WAL, foreign keys and a busy timeout.

    The file is created 0600 before SQLite touches it: it holds the user's diary. With
    ``pool``, connections are kept open and shared by threads (:mod:`dbkit.pool`).
    """
    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
    # BEGIN IMMEDIATE: a transaction that reads then writes would otherwise fail at once with
    # "database is locked" when another thread wrote in between (busy_timeout does not apply
    # to that upgrade); taking the write lock up front makes writers queue instead.
    options: dict[str, Any] = {"pragmas": SQLITE_PRAGMAS, "check_same_thread": False, "lock_type": "IMMEDIATE"}
    if pool is not None:
        from dbkit.pool import SqlitePool

        return SqlitePool(str(path), **options, **pool.peewee_kwargs())
    return peewee.SqliteDatabase(str(path), **options)


def open_database(url: str, pool: PoolOptions | None = None) -> peewee.Database:
    """Open a database from a URL: ``sqlite:///path`` or ``postgresql://user@host/db``; with
    ``pool``, one whose connections last (:mod:`dbkit.pool`).

    Raises ValueError with a message a person can act on for anything else.
    """
    if url.startswith("sqlite:///"):
        return open_sqlite(url[len("sqlite:///") :], pool)
    if url.startswith(("postgresql://", "postgres://")):
        try:
            import psycopg2  # noqa: F401  (checked here so the error names the fix)
        except ImportError as exc:  # pragma: no cover - psycopg2 is in requirements.txt
            raise ValueError("PostgreSQL needs psycopg2: pip install psycopg2-binary") from exc
        url = "postgresql://" + url.split("://", 1)[1]
        if pool is not None:
            from playhouse.db_url import parse

            from dbkit.pool import CheckedPostgresPool

            return CheckedPostgresPool(**parse(url), **pool.peewee_kwargs())
        return connect_url(url)
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:///PATH or postgresql://USER:PASS@HOST/DB")


def is_postgres(db: peewee.Database) -> bool:
    return isinstance(db, peewee.PostgresqlDatabase)


def close_cleanly(db: peewee.Database) -> None:
    """Close a database so nothing is left for recovery on the next start.

    For SQLite this folds the WAL back into the main file (a checkpoint) first. On a full
    disk the checkpoint cannot be written; the WAL still holds every commit and SQLite folds
    it in at the next start, so that is said and the close goes on.
    """
    try:
        if db.is_closed():
            db.connect()
        if isinstance(db, peewee.SqliteDatabase):
            db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    except peewee.OperationalError as exc:
        log.warning("could not fold the write-ahead log into %s (%s); the next start will", db.database, exc)
    finally:
        if not db.is_closed():
            db.close()
        close_pool(db)


def close_pool(db: peewee.Database) -> None:
    """Close every connection a pooled database keeps (nothing for a plain one)."""
    close_all = getattr(db, "close_all", None)
    if close_all is not None:
        close_all()
