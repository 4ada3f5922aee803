"""Connections that last: pooled databases for the diary server.

Every request of the diary server used to open a connection and close it at teardown, so a
PostgreSQL request paid a connection and its authentication, and a SQLite request the
checkpoint SQLite runs when the last connection to a WAL file closes. These pools (peewee's
``playhouse.pool``) keep connections open between requests: ``db.close()`` hands the
connection back, ``db.connect()`` takes one (or opens one while fewer than ``max_connections``
are in use, else waits up to ``wait_seconds`` and raises :class:`MaxConnectionsExceeded`).
A connection older than ``stale_seconds`` is closed at its next check-in or check-out.

PostgreSQL connections are checked at check-out without a round trip: a restarted (or
stopped) server closes its end, which makes the idle socket readable, and such a connection is
thrown away instead of answering the request with an error. One that sat idle for longer than
:data:`PING_IDLE_SECONDS` also gets a ``SELECT 1`` (a database host that rebooted sends
nothing until spoken to). Transactions are per checkout: a connection handed back inside
one is rolled back, so session state never leaks from one request to the next (advisory locks
are taken per transaction, ``pg_advisory_xact_lock``).
"""

from __future__ import annotations

import select
import threading
import time
from dataclasses import dataclass

from playhouse.pool import MaxConnectionsExceeded, PooledPostgresqlDatabase, PooledSqliteDatabase

__all__ = ["PING_IDLE_SECONDS", "CheckedPostgresPool", "MaxConnectionsExceeded", "PoolOptions", "SqlitePool"]

#: A pooled PostgreSQL connection idle longer than this is pinged at check-out.
PING_IDLE_SECONDS = 30.0


@dataclass(frozen=True)
class PoolOptions:
    """Size and timeouts of a pool (the settings diary_pool_size, _stale_seconds, _wait_seconds)."""

    max_connections: int = 20
    stale_seconds: int = 300  # 0: never recycled
    wait_seconds: float = 10.0

    def peewee_kwargs(self) -> dict:
        return {
            "max_connections": max(1, self.max_connections),
            "stale_timeout": self.stale_seconds or None,
            # peewee reads a wait of 0 as "forever"; a tiny wait is as good as none.
            "timeout": self.wait_seconds if self.wait_seconds > 0 else 0.001,
        }


class SqlitePool(PooledSqliteDatabase):
    """SQLite connections shared by the server's threads (``check_same_thread=False``): a
    thread takes one per request and gives it back, so neither a thread pool (gunicorn's
    gthread) nor a thread per connection (werkzeug) opens a file per request, and the WAL
    is checkpointed by SQLite's own auto-checkpoint instead of at every last close."""


class CheckedPostgresPool(PooledPostgresqlDatabase):
    """PostgreSQL's pool with a check at check-out that costs no round trip (see the module)."""

    def __init__(self, *args, **kwargs) -> None:
        self._checked_in: dict[int, float] = {}  # id(conn) -> when it was handed back
        self._checked_in_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def _is_closed(self, conn) -> bool:  # called at check-out, under the pool's lock
        if self._lost(conn):
            self._close_raw(conn)  # (the pool would drop it without closing its socket)
            return True
        return False

    def _lost(self, conn) -> bool:
        with self._checked_in_lock:
            since = self._checked_in.pop(id(conn), None)
        if conn.closed or self._adapter.txn_status(conn) != self._adapter.txn_idle:
            return True  # (handed back idle by _can_reuse, so anything else is a lost connection)
        try:
            readable, _, _ = select.select([conn.fileno()], [], [], 0)
        except (OSError, ValueError):
            return True
        if readable:  # an idle connection hears nothing unless the server closed it
            return True
        if since is not None and time.monotonic() - since < PING_IDLE_SECONDS:
            return False
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception:
            return True
        return False

    def _can_reuse(self, conn) -> bool:  # called at check-in
        reusable = super()._can_reuse(conn)
        if reusable:
            with self._checked_in_lock:
                self._checked_in[id(conn)] = time.monotonic()
        return reusable

    def _close_raw(self, conn) -> None:
        with self._checked_in_lock:
            self._checked_in.pop(id(conn), None)
        super()._close_raw(conn)
