"""The real clock: the only place the capture engine reads the system time."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

#: Longest single sleep. Event.wait measures monotonic time, which (on Linux and macOS)
#: stops during suspend; capping the sleep means a resumed machine notices within a minute.
MAX_SLEEP_SECONDS = 60.0


class SystemClock:
    """Wall time in UTC plus a monotonic counter, and an interruptible sleep."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def wait_until(self, deadline: datetime, stop: threading.Event) -> bool:
        """Sleep on ``stop`` (no polling) until ``deadline``; True if ``stop`` was set."""
        while True:
            remaining = (deadline - self.now()).total_seconds()
            if remaining <= 0:
                return stop.is_set()
            if stop.wait(min(remaining, MAX_SLEEP_SECONDS)):
                return True
