"""Database opening helpers shared by the Team app cache and the diary server.

Both programs keep their models on a :class:`peewee.DatabaseProxy` so that importing a
model module never opens a file; the composition root binds the proxy once it knows the
settings. Imports only peewee, so the diary server may use it without pulling in the
Team app's tables.
"""

from __future__ import annotations

import logging
import os
import sqlite3
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

#: Pages of 1 KiB for files made from now on (SQLite ignores it for an existing file): rows
#: here are small, and each commit appends every page it touched to the WAL, so a logged
#: minute's commit writes ~10 KiB instead of ~40 KiB. Must come before journal_mode.
SQLITE_PAGE_SIZE = 1024

SQLITE_PRAGMAS = {
    "page_size": SQLITE_PAGE_SIZE,
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


#: SQLite's default ``wal_autocheckpoint``: the commit that takes the WAL past this many pages
#: (~4 MB) folds it into the main file; quitting folds in the rest.
WAL_AUTOCHECKPOINT_PAGES = 1000
#: A WAL that grew past this is cut back to it after a checkpoint.
JOURNAL_SIZE_LIMIT = 4 * 1024 * 1024


def hold_open(db: peewee.Database) -> None:
    """Keep one idle connection to a SQLite file open until :func:`close_cleanly`.

    A program whose threads open and close their own connections (a web server's request
    threads) would otherwise close the *last* connection many times a minute, and each such
    close checkpoints the WAL, syncs the file and deletes the WAL and its index, which the
    next connection creates and zero-fills again: kilobytes written to disk per request for
    nothing. With one connection held, the WAL is checkpointed only when it passes
    :data:`WAL_AUTOCHECKPOINT_PAGES` and at the quit. Commits are as durable either way
    (WAL mode: a commit is in the WAL file, which survives a crash or ``kill -9``)."""
    if not isinstance(db, peewee.SqliteDatabase) or db.database == ":memory:" or getattr(db, "_held", None):
        return
    held = sqlite3.connect(db.database, check_same_thread=False)
    held.execute(f"PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT}")
    held.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()  # opens the WAL: now it stays
    db._held = held  # type: ignore[attr-defined]


def close_cleanly(db: peewee.Database) -> None:
    """Close a database so nothing is left for recovery on the next start.

    For SQLite this folds the WAL back into the main file (a checkpoint) first. On a full
    disk the checkpoint cannot be written; the WAL still holds every commit and SQLite folds
    it in at the next start, so that is said and the close goes on. A connection kept by
    :func:`hold_open` is closed last.
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
        held = getattr(db, "_held", None)
        if held is not None:
            db._held = None  # type: ignore[attr-defined]
            held.close()


def close_pool(db: peewee.Database) -> None:
    """Close every connection a pooled database keeps (nothing for a plain one)."""
    close_all = getattr(db, "close_all", None)
    if close_all is not None:
        close_all()
