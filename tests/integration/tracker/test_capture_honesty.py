"""Honest capture status end to end with fake sources: the capture loop, the SQLite sink and
the status the main screen shows. A blank grab stores no image but keeps the time; a frozen one
keeps the image and flags its row; both show on the status line until capture works again."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from models.capture_store import CaptureImage, CaptureSegment, SqliteCaptureSink
from models.local import open_local_database
from tracker.capture_check import BLANK_SCREEN, FROZEN_REPEATS, FROZEN_SCREEN
from tracker.fakes import FakeClock, FakeInput, FakeScreen, FakeWindow
from tracker.loop import CaptureLoop
from tracker.ports import OK, WindowInfo

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def cache(tmp_path):
    db = open_local_database(tmp_path / "cache.sqlite3")
    yield tmp_path / "data"
    db.close()


def run(cache, screen, segments):
    clock, inputs = FakeClock(T0), FakeInput()
    loop = CaptureLoop(
        clock=clock,
        sink=SqliteCaptureSink(cache),
        screen=screen,
        inputs=inputs,
        window=FakeWindow(WindowInfo("XTerm", "notes")),
        rng=random.Random(3),
    )
    loop.start(7)
    clock.wait_idle()
    for minute in range(segments * 10):
        inputs.add(keys=2)
        clock.advance_to(T0 + timedelta(minutes=minute + 1))
    return loop, clock


def screen_rows():
    return list(CaptureImage.select().where(CaptureImage.kind == "screen").order_by(CaptureImage.taken_at))


def test_a_blank_screen_stores_no_image_keeps_the_time_and_says_so(cache):
    screen = FakeScreen(blank=True)
    loop, clock = run(cache, screen, 2)
    assert loop.status().capture == BLANK_SCREEN
    rows = screen_rows()
    assert len(rows) == 2 and all(r.path is None and r.status == BLANK_SCREEN for r in rows)
    assert not list((cache / "snapshots").rglob("*.png")) if (cache / "snapshots").exists() else True
    assert sum(s.logged_seconds for s in CaptureSegment.select()) == 1200  # no logged time lost
    screen.blank = False  # capture works again: the next snapshot clears the status
    for minute in range(20, 30):
        clock.advance_to(T0 + timedelta(minutes=minute + 1))
    assert loop.status().capture == OK
    assert screen_rows()[-1].path is not None and screen_rows()[-1].status == OK
    loop.stop()
    assert loop.status().capture == OK


def test_a_frozen_screen_keeps_its_images_and_flags_them(cache):
    loop, _clock = run(cache, FakeScreen(frozen=True), FROZEN_REPEATS + 1)
    rows = screen_rows()
    assert all(r.path is not None for r in rows)  # kept (and uploaded after review)
    assert [r.status for r in rows] == [OK] * FROZEN_REPEATS + [FROZEN_SCREEN]
    assert loop.status().capture == FROZEN_SCREEN
    loop.stop()


def test_a_changing_screen_is_never_flagged(cache):
    loop, _clock = run(cache, FakeScreen(), FROZEN_REPEATS + 2)
    assert {r.status for r in screen_rows()} == {OK}
    assert loop.status().capture == OK
    loop.stop()
