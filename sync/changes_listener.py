"""The Team app's ear on the diary: one held pull (``GET /sync/changes?wait=``) open at a time,
so the other party's label, a contract change or the freelancer's other computer reach this
app within a second, while an idle app makes one request a minute and writes nothing.

The listener never applies what it hears: when the held answer carries anything, it pokes
the sync worker, whose round pulls and applies the feed as before (one thread owns the
cursor). An empty answer moves only the listener's own cursor (past this app's own writes).
On a failure it backs off like the worker and says it is not connected, so the worker goes
back to pulling on its own every few seconds until the listener is heard again.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from datetime import timedelta

from models.local import get_state, local_db
from sync.diary_client import DiaryClient, DiaryError
from sync.sync_state import CURSOR_KEY, backoff_seconds

log = logging.getLogger(__name__)

#: Seconds the diary holds a pull (below its limit of 55 and a typical proxy's 60).
WAIT_SECONDS = 50


class ChangesListener:
    def __init__(
        self,
        *,
        client: Callable[[], tuple[str, DiaryClient] | None],
        on_changes: Callable[[], None],
        clock,
        rng: random.Random | None = None,
        wait_seconds: int = WAIT_SECONDS,
    ) -> None:
        self._client = client
        self._on_changes = on_changes
        self.clock = clock
        self._rng = rng or random.Random()
        self.wait_seconds = wait_seconds
        self.connected = False
        self.failures = 0
        self._since: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> ChangesListener:
        self._thread = threading.Thread(target=self._run, name="diary-changes", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop listening. A held pull in flight is left to end by itself (the thread is a
        daemon, and the diary answers every held pull when it stops)."""
        self._stop.set()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout)

    def listen_once(self) -> bool:
        """One held pull; True if it heard something (and poked the worker). Raises DiaryError."""
        found = self._client()
        if found is None:  # signed out: nothing to listen to
            self.connected = False
            return False
        diary_url, client = found
        cursor = max(int(get_state(f"{CURSOR_KEY}:{diary_url}") or 0), self._since.get(diary_url, 0))
        self.connected = True
        page = client.sync_changes(cursor, limit=1, wait=self.wait_seconds)
        if page.get("more") or page.get("segments") or page.get("snapshots") or page.get("contracts"):
            self._on_changes()
            return True
        self._since[diary_url] = int(page.get("cursor") or cursor)
        return False

    def _run(self) -> None:
        local_db.connect(reuse_if_open=True)  # this thread's own, kept open: it only reads
        try:
            while not self._stop.is_set():
                delay = self._one_turn()
                if delay > 0:
                    self.clock.wait_until(self.clock.now() + timedelta(seconds=delay), self._stop)
        finally:
            if not local_db.is_closed():
                local_db.close()

    def _one_turn(self) -> float:
        """Seconds to pause before the next held pull: none after an answer, a backoff after
        a failure, a while when signed out."""
        try:
            if self.listen_once() or self.connected:
                self.failures = 0
                return 0.0
            return float(self.wait_seconds)  # signed out
        except DiaryError as exc:
            self.connected = False
            self.failures += 1
            log.info("not listening to the diary (%s); again in a while", exc)
            return backoff_seconds(self.failures, self._rng)
        except Exception:  # never die; the worker's own pulls still run
            self.connected = False
            self.failures += 1
            log.exception("listening to the diary failed")
            return backoff_seconds(self.failures, self._rng)
