"""Long-poll waiters of the changes feed: a Team app asks ``GET /api/v1/sync/changes?wait=N``
and the diary holds the answer until a change lands on one of its contracts (or N seconds
pass), so an idle Team app makes one request a minute instead of a pull every 15 s.

Who changed what is read from ``diary_changes`` itself (joined to the contract's two
parties), never from the request that wrote it: triggers, pages, the API and other processes
all write there. A writing request of this process calls :meth:`ChangeWaiters.poke` once its
transaction is committed, so waiters here wake at once; writes of other processes (more
gunicorn workers, a second diary on the same database) are seen by a read every
``poll_seconds`` while anyone waits (``None``: one process, no polling, which is the embedded
diary's case). A waiter costs one threading.Event and no timer of its own.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable

log = logging.getLogger(__name__)

#: A read of the feed after an id: (change id, user id of a party, origin) triples, oldest
#: first; ``origin`` is the API session that wrote it (None: a page, a trigger).
ReadAfter = Callable[[int], list[tuple[int, int, int | None]]]

#: Changes remembered for waiters that arrive a moment after a write they have not seen yet.
RECENT = 4096


class _Waiter:
    __slots__ = ("event", "origin", "users")

    def __init__(self, users: frozenset[int], origin: int | None) -> None:
        self.users = users
        self.origin = origin
        self.event = threading.Event()

    def concerned(self, user: int, origin: int | None) -> bool:
        """A change by the waiter's own session is in its own answers already."""
        return user in self.users and (origin is None or origin != self.origin)


class ChangeWaiters:
    def __init__(self, read_after: ReadAfter, poll_seconds: float | None = None) -> None:
        self._read_after = read_after
        self._poll_seconds = poll_seconds
        self._lock = threading.Lock()  # guards the fields below
        self._read_lock = threading.Lock()  # one read of the feed at a time
        self._waiters: set[_Waiter] = set()
        self._seen: int | None = None  # newest change id read so far
        self._recent: deque[tuple[int, int, int | None]] = deque(maxlen=RECENT)
        self._poller: threading.Thread | None = None
        self._stopped = threading.Event()
        self._pokes = 0

    def generation(self) -> int:
        """A count of pokes; read it before reading the feed and pass it to :meth:`wait`."""
        return self._pokes

    def wait(
        self, users: Iterable[int], after: int, timeout: float, generation: int, origin: int | None = None
    ) -> bool:
        """Block until a change after id ``after`` concerns one of ``users`` (True), or
        ``timeout`` seconds pass (False). ``after`` is the newest id the caller has looked at,
        ``generation`` what :meth:`generation` said before it looked: a write committed in
        between, while nobody waited, then answers True at once instead of being missed."""
        waiter = _Waiter(frozenset(users), origin)
        with self._lock:
            if self._stopped.is_set():
                return False
            if self._seen is None:
                if self._pokes != generation:
                    return True
                self._seen = after
            elif self._seen > after:  # changes landed between the caller's read and now
                oldest = self._recent[0][0] if self._recent else self._seen + 1
                if oldest > after + 1 or any(i > after and waiter.concerned(u, o) for i, u, o in self._recent):
                    return True  # (too old to tell: let the caller read the feed again)
            self._waiters.add(waiter)
            self._start_poller()
        try:
            return waiter.event.wait(timeout)
        finally:
            with self._lock:
                self._waiters.discard(waiter)

    def poke(self) -> None:
        """Read what was written since the last read and wake whom it concerns. Called by a
        writing request after its commit, on its own database connection."""
        with self._lock:
            self._pokes += 1
            if not self._waiters or self._seen is None:
                self._seen = None  # nobody waits: the next waiter starts from its own cursor
                self._recent.clear()
                return
            seen = self._seen
        with self._read_lock:
            rows = self._read_after(seen)
        if not rows:
            return
        with self._lock:
            self._seen = max(self._seen or 0, max(row[0] for row in rows))
            self._recent.extend(rows)
            for waiter in self._waiters:
                if any(waiter.concerned(user, origin) for _, user, origin in rows):
                    waiter.event.set()

    def waiting(self) -> int:
        with self._lock:
            return len(self._waiters)

    def stop(self) -> None:
        """Answer every waiter now (the server is stopping) and take no more."""
        self._stopped.set()
        with self._lock:
            for waiter in self._waiters:
                waiter.event.set()

    def _start_poller(self) -> None:
        if self._poll_seconds is None or (self._poller is not None and self._poller.is_alive()):
            return
        self._poller = threading.Thread(target=self._poll, name="diary-change-poll", daemon=True)
        self._poller.start()

    def _poll(self) -> None:
        """Other processes' writes: read while someone waits, stop when nobody does."""
        assert self._poll_seconds is not None
        while not self._stopped.wait(self._poll_seconds):
            with self._lock:
                if not self._waiters:
                    self._poller = None
                    return
            try:
                self.poke()
            except Exception:  # a database hiccup: waiters still time out and read the feed
                log.exception("reading the changes feed for waiters failed")
