"""The sync worker's view of the app's Clock under ``--test-clock``.

The test clock (``tracker.fakes.FakeClock``) belongs to the capture loop: its ``wait_until``
moves time forward by itself and tells the test that "the loop" is asleep. The sync worker
must not do either, yet its backoff and review windows must follow that same time (a snapshot
taken at test-clock noon is due at test-clock noon plus the review window, whatever the wall
clock says). :class:`FollowingClock` reads the app's clock and waits for it to be moved.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Protocol


class _Clock(Protocol):
    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...


class FollowingClock:
    """Time of another clock; ``wait_until`` waits (on ``stop``) until that clock reaches the
    deadline, checking every ``poll_seconds`` of real time, and never moves it."""

    def __init__(self, clock: _Clock, poll_seconds: float = 0.1) -> None:
        self._clock = clock
        self._poll = poll_seconds

    def now(self) -> datetime:
        return self._clock.now()

    def monotonic(self) -> float:
        return self._clock.monotonic()

    def wait_until(self, deadline: datetime, stop: threading.Event) -> bool:
        """True if ``stop`` was set, False once the followed clock reached ``deadline``."""
        while True:
            if stop.is_set():
                return True
            if self._clock.now() >= deadline:
                return False
            if stop.wait(self._poll):
                return True
