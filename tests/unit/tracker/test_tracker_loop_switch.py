"""The switch's non-blocking start and stop: the UI answers at once, nothing is lost."""

from datetime import timedelta

from tests.unit.tracker.test_tracker_loop import T0, make_loop
from tracker.events import LoggingStopped


def test_a_stop_that_does_not_wait_still_stores_the_last_interval_and_its_snapshot():
    loop, p = make_loop()
    loop.start(7)
    p["clock"].advance_to(T0 + timedelta(seconds=40))
    loop.stop("switched off", wait=False)
    assert loop.wait_stopped(10)
    assert not loop.running
    snaps = p["sink"].snapshots()
    assert len(snaps) == 1, "the stop before the snapshot instant takes the segment's snapshot"
    assert snaps[0].taken_at == T0 + timedelta(seconds=40)
    assert p["sink"].seconds(7, T0) == 40


def test_start_right_after_a_stop_that_did_not_wait_runs_a_new_session():
    loop, p = make_loop()
    stops = []
    loop.subscribe(lambda e: stops.append(e.reason) if isinstance(e, LoggingStopped) else None)
    loop.start(7)
    p["clock"].advance_to(T0 + timedelta(seconds=30))
    loop.stop("switched off", wait=False)
    loop.start(7)  # same contract: must not be taken for "already running"
    p["clock"].wait_idle()
    assert loop.running and loop.status().logging and loop.status().contract_id == 7
    assert stops == ["switched off"], "the first session kept the reason it was stopped for"
    loop.stop()
    assert stops == ["switched off", "stopped"]


def test_a_start_that_does_not_wait_is_logging_once_the_thread_is_ready():
    loop, p = make_loop()
    loop.start(3, wait=False)
    assert loop.running
    p["clock"].wait_idle()
    assert loop.status().logging and loop.status().contract_id == 3
    loop.stop()
    assert not loop.running and p["inputs"].running is False
