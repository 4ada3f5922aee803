"""A clock that runs N times faster than real time, for demos and process-level tests.

It is a real clock (it sleeps on the stop event, no polling) whose wall time starts at a
chosen instant and whose wall and monotonic time both advance ``factor`` times faster than
:func:`time.monotonic`. With factor 120 a 10-minute segment passes in 5 s, which lets the
kill -9 test crash a real process in the middle of segments and minutes.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from core import rules


class ScaledClock:
    def __init__(self, start: datetime, factor: float) -> None:
        self._start = rules.to_utc(start)
        self._factor = factor
        self._m0 = time.monotonic()

    def monotonic(self) -> float:
        return (time.monotonic() - self._m0) * self._factor

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self.monotonic())

    def wait_until(self, deadline: datetime, stop: threading.Event) -> bool:
        while True:
            remaining = (deadline - self.now()).total_seconds() / self._factor
            if remaining <= 0:
                return stop.is_set()
            if stop.wait(remaining):
                return True
