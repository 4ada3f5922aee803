"""The long-poll waiters' bookkeeping, with a fake feed: who is woken by which change, and the
races between a waiter's own read of the feed and a write committed just before it waits."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from diary_server.change_waiters import ChangeWaiters

FREELANCER, CLIENT, STRANGER = 1, 2, 3
MINE, OTHER_SESSION = 10, 11


class Feed:
    """diary_changes as (id, user, origin) rows."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, int, int | None]] = []

    def write(self, *users: int, origin: int | None = None) -> int:
        new_id = len({r[0] for r in self.rows}) + 1
        self.rows += [(new_id, user, origin) for user in users]
        return new_id

    def after(self, after: int):
        return [r for r in self.rows if r[0] > after]

    @property
    def newest(self) -> int:
        return max((r[0] for r in self.rows), default=0)


@pytest.fixture
def feed():
    return Feed()


def _wait_in_thread(waiters: ChangeWaiters, pool, users, after, origin=None, timeout=30.0):
    future = pool.submit(waiters.wait, users, after, timeout, waiters.generation(), origin)
    for _ in range(3000):
        if waiters.waiting() >= 1:
            return future
        threading.Event().wait(0.001)
    raise AssertionError("the waiter never waited")


def test_a_change_for_the_waiter_wakes_it_and_a_strangers_does_not(feed):
    waiters = ChangeWaiters(feed.after)
    with ThreadPoolExecutor(1) as pool:
        held = _wait_in_thread(waiters, pool, [FREELANCER], feed.newest)
        feed.write(STRANGER)
        waiters.poke()
        threading.Event().wait(0.1)  # (a wrong wake-up would end the wait well within this)
        assert not held.done()
        feed.write(FREELANCER, CLIENT)
        waiters.poke()
        assert held.result(timeout=10) is True
    assert waiters.waiting() == 0


def test_the_callers_own_session_does_not_wake_it_but_its_other_computer_does(feed):
    waiters = ChangeWaiters(feed.after)
    with ThreadPoolExecutor(1) as pool:
        held = _wait_in_thread(waiters, pool, [FREELANCER], feed.newest, origin=MINE, timeout=0.3)
        feed.write(FREELANCER, CLIENT, origin=MINE)
        waiters.poke()
        assert held.result(timeout=10) is False  # timed out: its own write only
        held = _wait_in_thread(waiters, pool, [FREELANCER], feed.newest, origin=MINE)
        feed.write(FREELANCER, CLIENT, origin=OTHER_SESSION)
        waiters.poke()
        assert held.result(timeout=10) is True


def test_a_write_between_the_callers_read_and_its_wait_is_not_missed(feed):
    waiters = ChangeWaiters(feed.after)
    # Nobody waits yet: the caller reads the feed (up to `after`), then a write lands and pokes.
    generation = waiters.generation()
    after = feed.newest
    feed.write(FREELANCER)
    waiters.poke()
    assert waiters.wait([FREELANCER], after, 5.0, generation) is True


def test_a_write_seen_by_others_before_the_caller_waits_wakes_it_at_once(feed):
    waiters = ChangeWaiters(feed.after)
    with ThreadPoolExecutor(1) as pool:
        other = _wait_in_thread(waiters, pool, [STRANGER], feed.newest, timeout=0.5)
        after = feed.newest
        generation = waiters.generation()
        feed.write(FREELANCER)
        waiters.poke()  # read while the stranger waits: the freelancer's change is remembered
        assert waiters.wait([FREELANCER], after, 5.0, generation) is True
        assert other.result(timeout=10) is False


def test_stop_answers_every_waiter_and_takes_no_more(feed):
    waiters = ChangeWaiters(feed.after)
    with ThreadPoolExecutor(1) as pool:
        held = _wait_in_thread(waiters, pool, [FREELANCER], feed.newest)
        waiters.stop()
        held.result(timeout=10)
    assert waiters.wait([FREELANCER], feed.newest, 5.0, waiters.generation()) is False


def test_other_processes_writes_are_found_by_the_poll_while_someone_waits(feed):
    waiters = ChangeWaiters(feed.after, poll_seconds=0.01)
    with ThreadPoolExecutor(1) as pool:
        held = _wait_in_thread(waiters, pool, [CLIENT], feed.newest)
        feed.write(FREELANCER, CLIENT)  # no poke: another process wrote it
        assert held.result(timeout=10) is True
    waiters.stop()
