"""Camera snapshots through OpenCV, with an image sequence standing in for a camera."""

import random
from datetime import UTC, datetime, timedelta

from PIL import Image

from models.capture_store import CaptureImage, SqliteCaptureSink
from models.local import open_local_database
from tracker.fakes import FakeClock, FakeInput, FakeScreen, FakeWindow
from tracker.loop import CaptureLoop
from tracker.snapshot import Preferences
from tracker.sources.camera_cv import OpenCVCamera, parse_camera_source

BLUE = (20, 40, 220)


def make_sequence(tmp_path):
    for i in range(3):
        Image.new("RGB", (160, 120), BLUE).save(tmp_path / f"img_{i:03d}.jpg")
    return str(tmp_path / "img_%03d.jpg")


def test_an_image_sequence_works_as_a_camera(tmp_path):
    cam = OpenCVCamera(make_sequence(tmp_path))
    frame = cam.grab()
    assert cam.health() == "OK"
    assert frame.size == (160, 120)
    assert all(abs(a - b) < 20 for a, b in zip(frame.getpixel((80, 60)), BLUE, strict=True))


def test_no_camera_is_a_clear_status_not_a_crash(tmp_path):
    cam = OpenCVCamera(57)
    assert cam.grab() is None
    assert cam.health().startswith("no camera found at index 57")
    missing = OpenCVCamera(str(tmp_path / "nope.mp4"))
    assert missing.grab() is None and "does not exist" in missing.health()
    assert OpenCVCamera(None).grab() is None


def test_parse_camera_source():
    assert parse_camera_source("") is None and parse_camera_source("off") is None
    assert parse_camera_source("0") == 0 and parse_camera_source(2) == 2
    assert parse_camera_source(" /dev/video2 ") == "/dev/video2"


def test_camera_snapshot_is_stored_with_the_screen_snapshot(tmp_path):
    db = open_local_database(tmp_path / "cache.sqlite3")
    t0 = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    clock = FakeClock(t0)
    sink = SqliteCaptureSink(tmp_path / "data")
    loop = CaptureLoop(
        clock=clock,
        sink=sink,
        screen=FakeScreen(),
        inputs=FakeInput(),
        window=FakeWindow(),
        camera=OpenCVCamera(make_sequence(tmp_path)),
        preferences=Preferences(camera_enabled=True),
        rng=random.Random(0),
    )
    loop.start(3)
    clock.advance_to(t0 + timedelta(minutes=10))
    loop.stop()
    screen = CaptureImage.get(CaptureImage.kind == "screen")
    camera = CaptureImage.get(CaptureImage.kind == "camera")
    assert screen.segment_id == camera.segment_id and screen.taken_at == camera.taken_at
    assert (camera.width, camera.height, camera.status) == (160, 120, "OK")
    assert Image.open(sink.image_path(camera)).size == (160, 120)
    db.close()


def test_missing_camera_still_takes_the_screen_snapshot(tmp_path):
    db = open_local_database(tmp_path / "cache.sqlite3")
    t0 = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    clock = FakeClock(t0)
    sink = SqliteCaptureSink(tmp_path / "data")
    loop = CaptureLoop(
        clock=clock,
        sink=sink,
        screen=FakeScreen(),
        inputs=FakeInput(),
        window=FakeWindow(),
        camera=OpenCVCamera(57),
        preferences=Preferences(camera_enabled=True),
        rng=random.Random(0),
    )
    loop.start(3)
    clock.advance_to(t0 + timedelta(minutes=3))
    loop.stop()
    assert CaptureImage.get(CaptureImage.kind == "screen").path is not None
    camera = CaptureImage.get(CaptureImage.kind == "camera")
    assert camera.path is None and camera.status.startswith("no camera found at index 57")
    assert loop.status().camera.startswith("no camera found")
    db.close()
