"""The sync worker's clock under --test-clock: it follows the test clock and never moves it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sync.clock import FollowingClock
from tracker.fakes import FakeClock

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_following_clock_waits_for_the_test_clock_without_moving_it():
    fake = FakeClock(T0)
    follower = FollowingClock(fake, poll_seconds=0.01)
    assert follower.now() == T0
    stop = threading.Event()
    done: list[bool] = []
    waiter = threading.Thread(target=lambda: done.append(follower.wait_until(T0 + timedelta(seconds=30), stop)))
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive() and fake.now() == T0  # a FakeClock's own wait_until would have ticked it
    fake.advance(timedelta(seconds=31))
    waiter.join(5)
    assert done == [False]
    stop.set()
    assert follower.wait_until(T0 + timedelta(days=1), stop) is True
