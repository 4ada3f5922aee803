"""The threaded loop and its API, with fakes for every port."""

import random
import threading
from datetime import UTC, datetime, timedelta

from tracker.events import LoggingStarted, LoggingStopped, SegmentUpdated, SnapshotTaken
from tracker.fakes import FakeCamera, FakeClock, FakeInput, FakeScreen, FakeWindow, MemorySink
from tracker.loop import CaptureLoop
from tracker.ports import OK, Rect, WindowInfo
from tracker.snapshot import CAMERA_OFF, Preferences, Scope

T0 = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


def make_loop(**kw):
    parts = dict(
        clock=FakeClock(T0),
        sink=MemorySink(),
        screen=FakeScreen([Rect(0, 0, 160, 90), Rect(160, 0, 80, 60)]),
        inputs=FakeInput(),
        window=FakeWindow(WindowInfo("XTerm", "build log", Rect(170, 10, 20, 20)), (5, 5)),
        camera=FakeCamera(),
        rng=random.Random(4),
    )
    parts.update(kw)
    return CaptureLoop(**parts), parts


def test_start_run_stop_emits_events_and_stores_segments():
    loop, p = make_loop()
    events = []
    unsubscribe = loop.subscribe(events.append)
    loop.start(11)
    p["clock"].wait_idle()
    assert loop.status().logging and loop.status().contract_id == 11
    p["inputs"].add(keys=3, clicks=1)
    p["clock"].advance_to(T0 + timedelta(minutes=10, seconds=30))
    loop.stop()
    unsubscribe()
    assert not loop.status().logging
    kinds = [type(e) for e in events]
    assert kinds[0] is LoggingStarted and kinds[-1] is LoggingStopped
    assert kinds.count(SnapshotTaken) == 2  # 09:00 segment and the 09:10 one (at the stop)
    seg = [e for e in events if isinstance(e, SegmentUpdated) and e.segment == T0][-1]
    assert seg.logged_seconds == 600 and seg.billable_minutes == 10 and seg.activity_level == 1
    shot = next(e for e in events if isinstance(e, SnapshotTaken))
    assert shot.record.app == "XTerm" and shot.record.title == "build log"
    assert shot.record.screen is not None and shot.record.screen.width == 240  # stitched desktop
    assert shot.record.camera is None and shot.record.camera_status == CAMERA_OFF
    assert p["inputs"].running is False


def test_active_screen_scope_grabs_the_monitor_holding_the_active_window():
    loop, p = make_loop()
    loop.set_preferences(Preferences(scope=Scope.ACTIVE_SCREEN, camera_enabled=True))
    loop.start(1)
    p["clock"].wait_idle()
    loop.stop()  # a stop right away still snapshots (no logged time -> none)
    p["clock"].advance(timedelta(seconds=1))
    loop.start(1)
    p["clock"].advance_to(T0 + timedelta(seconds=30))
    loop.stop()
    assert p["screen"].grabs == [Rect(160, 0, 80, 60)]
    snap = p["sink"].snapshots()[0]
    assert snap.screen.width == 80 and snap.camera is not None and snap.camera_status == OK


def test_missing_camera_gives_a_status_and_the_screen_snapshot_still_happens():
    loop, p = make_loop(camera=FakeCamera(available=False))
    loop.set_preferences(Preferences(camera_enabled=True))
    loop.start(1)
    p["clock"].advance_to(T0 + timedelta(seconds=20))
    assert loop.status().camera == "no camera found at index 0"
    loop.stop()
    snap = p["sink"].snapshots()[0]
    assert snap.screen is not None and snap.camera is None
    assert snap.camera_status == "no camera found at index 0"


def test_failing_screen_and_window_sources_never_stop_logging():
    class BrokenWindow(FakeWindow):
        def active_window(self):
            raise OSError("display went away")

    loop, p = make_loop(screen=FakeScreen(fail="no screen access"), window=BrokenWindow())
    loop.start(1)
    p["clock"].advance_to(T0 + timedelta(minutes=12))
    status = loop.status()
    loop.stop()
    assert status.capture == "no screen access" and not status.healthy
    assert p["sink"].seconds(1, T0) == 600
    snap = p["sink"].snapshots()[0]
    assert snap.screen is None and snap.screen_status == "no screen access"
    assert snap.app is None


def test_a_broken_listener_does_not_stop_logging():
    loop, p = make_loop()
    loop.subscribe(lambda e: 1 / 0)
    loop.start(1)
    p["clock"].advance_to(T0 + timedelta(minutes=3))
    loop.stop()
    assert p["sink"].seconds(1, T0) == 180


def test_switching_contract_stops_the_first_run():
    loop, p = make_loop()
    loop.start(1)
    p["clock"].advance_to(T0 + timedelta(minutes=2))
    loop.start(2)
    p["clock"].advance_to(T0 + timedelta(minutes=5))
    loop.stop()
    assert p["sink"].seconds(1, T0) == 120 and p["sink"].seconds(2, T0) == 180


def test_a_listener_may_stop_logging():
    loop, p = make_loop()

    def stop_at_three_minutes(event):
        if isinstance(event, SegmentUpdated) and event.logged_seconds >= 180:
            loop.stop("weekly limit reached")

    loop.subscribe(stop_at_three_minutes)
    events = []
    loop.subscribe(events.append)
    loop.start(1)
    p["clock"].advance_to(T0 + timedelta(minutes=2))
    p["clock"].allow_until(T0 + timedelta(minutes=10))  # the loop ends by itself at 09:03
    for _ in range(1000):
        if not loop.running:
            break
        threading.Event().wait(0.01)
    assert not loop.running
    assert events[-1] == LoggingStopped(1, T0 + timedelta(minutes=3), "weekly limit reached")
    loop.stop()
