"""The invoice cycle's scheduler: one thread per diary process that sleeps until the next
cycle moment (Monday 12:00, Saturday 00:00 or Wednesday 00:00 UTC) and runs the cycle then.

No loop polling every second: the thread waits on an event until the next moment (at most an
hour at a time, so a suspended laptop or a clock that jumped is noticed within the hour).
Every process runs its own; they race for the same weeks and the database lets one win
(``diary_server.invoice_issue``). Time comes from the app's clock, so tests move a fake clock
and call :meth:`InvoiceScheduler.wake` (or :meth:`run_once`) instead of sleeping.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

import peewee

from diary_server.invoice_issue import CycleResult, next_moment, run_cycle

log = logging.getLogger(__name__)

#: The longest one wait lasts, in seconds (see the module's note).
MAX_WAIT_SECONDS = 3600.0
#: How soon a round that failed (the database away) is tried again, in seconds.
RETRY_SECONDS = 60.0


class InvoiceScheduler:
    def __init__(self, db: peewee.Database, clock: Callable[[], datetime]):
        self._db = db
        self._clock = clock
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._rounds = 0
        self._done = threading.Condition()
        self._failed = False

    def run_once(self) -> CycleResult:
        """One round at the clock's ``now``, in this thread (the start's catch-up does this)."""
        with self._db.connection_context():
            return run_cycle(self._clock())

    def catch_up(self) -> None:
        """The start's round: every week missed while the server was down. A failure is logged
        and left to the thread's next round; the diary serves meanwhile."""
        try:
            self.run_once()
        except Exception:
            self._failed = True
            log.exception("the invoice cycle failed at start; the scheduler tries again")

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="invoice-scheduler", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """Look at the clock again now (a test moved it)."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopped.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def rounds(self) -> int:
        return self._rounds

    def wait_for_round(self, after: int, timeout: float = 10.0) -> bool:
        """Block until more than ``after`` rounds ran in the thread (tests)."""
        with self._done:
            return self._done.wait_for(lambda: self._rounds > after, timeout)

    def _run(self) -> None:
        retry = self._failed
        while not self._stopped.is_set():
            now = self._clock()
            target = next_moment(now)
            wait = RETRY_SECONDS if retry else min(MAX_WAIT_SECONDS, (target - now).total_seconds())
            woken = self._wake.wait(max(0.0, wait))
            self._wake.clear()
            if self._stopped.is_set():
                break
            if not (woken or retry) and self._clock() < target:
                continue  # the hourly look at the clock: nothing due yet
            try:
                result = self.run_once()
            except Exception:
                log.exception("the invoice cycle failed; trying again in %s s", RETRY_SECONDS)
                retry = True
                continue
            retry = False
            if result.issued or result.approved or result.released:
                log.info(
                    "invoices: %s issued, %s approved, %s released",
                    len(result.issued),
                    result.approved,
                    result.released,
                )
            with self._done:
                self._rounds += 1
                self._done.notify_all()
