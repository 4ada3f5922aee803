"""The real and sped-up clocks: functional checks only (no timing assertions)."""

import threading
from datetime import UTC, datetime, timedelta

from tracker.clock import SystemClock
from tracker.scaled_clock import ScaledClock


def test_system_clock_is_utc_and_wakes_on_stop_or_deadline():
    clock = SystemClock()
    assert clock.now().utcoffset() == timedelta(0)
    stop = threading.Event()
    assert clock.wait_until(clock.now() - timedelta(seconds=1), stop) is False
    stop.set()
    assert clock.wait_until(clock.now() + timedelta(hours=1), stop) is True


def test_scaled_clock_runs_from_its_start_and_stops_on_request():
    start = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    clock = ScaledClock(start, 1000)
    stop = threading.Event()
    assert clock.wait_until(start + timedelta(seconds=5), stop) is False
    assert clock.now() >= start + timedelta(seconds=5)
    assert clock.monotonic() >= 5
    stop.set()
    assert clock.wait_until(start + timedelta(days=1), stop) is True
