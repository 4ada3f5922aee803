"""Environment checks, image helpers and lazy imports (no display needed)."""

import subprocess
import sys

from PIL import Image

from tracker import imaging
from tracker.ports import Rect
from tracker.sources.platform import real_sources
from tracker.sources.status import NO_DISPLAY, WAYLAND, session_problem
from tracker.sources.x11 import decode_compound_text


def test_wayland_and_missing_display_are_explained():
    assert session_problem({"XDG_SESSION_TYPE": "wayland", "DISPLAY": ":0"}, "linux") == WAYLAND
    assert session_problem({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, "linux") == WAYLAND
    assert session_problem({"WAYLAND_DISPLAY": "w", "XDG_SESSION_TYPE": "x11", "DISPLAY": ":0"}, "linux") is None
    assert session_problem({}, "linux") == NO_DISPLAY
    assert session_problem({"DISPLAY": ":1"}, "linux") is None
    assert session_problem({}, "win32") is None and session_problem({}, "darwin") is None


def test_on_wayland_sources_report_the_reason_and_never_grab(monkeypatch):
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    parts = real_sources(camera=None)
    assert parts["screen"].health() == WAYLAND and parts["inputs"].health() == WAYLAND
    assert parts["window"].active_window() is None
    from tracker.fakes import FakeClock  # noqa: F401  (the loop works with these sources)
    from tracker.snapshot import Preferences, take_snapshot

    record = take_snapshot(None, parts["screen"], parts["window"], None, Preferences())
    assert record.screen is None and record.screen_status == WAYLAND


def test_importing_the_tracker_loads_no_capture_library():
    code = (
        "import sys, tracker.loop, tracker.sources.platform, tracker.sources.x11, tracker.sources.win32, "
        "tracker.sources.macos, tracker.sources.input_pynput, tracker.sources.input_x11, tracker.sources.screen_mss, "
        "tracker.sources.camera_cv, models.capture_store, tracker.demo_run\n"
        "bad = [m for m in ('mss', 'pynput', 'Xlib', 'cv2', 'PIL', 'ctypes.wintypes', 'Quartz', 'AppKit') "
        "if m in sys.modules]\n"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_choose_monitor_prefers_the_window_then_the_first():
    left, right = Rect(0, 0, 1920, 1080), Rect(1920, -200, 1280, 1024)
    assert imaging.choose_monitor([left, right], (2000, 0)) == right
    assert imaging.choose_monitor([left, right], (5000, 0)) == left
    assert imaging.choose_monitor([left, right], None) == left
    assert imaging.choose_monitor([], (1, 1)) is None


def test_encode_makes_jpeg_thumbnail_and_hash():
    img = Image.new("RGB", (1920, 1080), (255, 255, 255))
    enc = imaging.encode(img)
    assert enc.data[:2] == b"\xff\xd8" and enc.thumbnail[:2] == b"\xff\xd8"
    assert (enc.width, enc.height) == (1920, 1080) and len(enc.sha256) == 64
    assert imaging.thumbnail_of(Image.new("RGB", (3840, 1080))).size == (320, 90)
    assert imaging.thumbnail_of(Image.new("RGB", (100, 50))).size == (100, 50)


def test_blank_detection():
    assert imaging.is_blank(Image.new("RGB", (640, 480)))
    img = Image.new("RGB", (640, 480))
    img.putpixel((300, 200), (255, 255, 255))
    img.paste((255, 255, 255), (0, 0, 64, 64))
    assert not imaging.is_blank(img)


def test_compound_text_titles():
    assert decode_compound_text(b"Caf\xe9 notes") == "Café notes"
    assert decode_compound_text(b"\x1b%G" + "naïve ☕".encode() + b"\x1b%@") == "naïve ☕"


def test_screens_of_text_are_palette_png_and_photos_jpeg():
    import random

    from PIL import ImageDraw

    text = Image.new("RGB", (1280, 720), "white")
    draw = ImageDraw.Draw(text)
    for y in range(0, 720, 14):
        draw.text((4, y), "def handler(request): return render(request, 'page.html', ctx)  # " * 2, fill="black")
    enc = imaging.encode_screen(text)
    assert enc.mime == "image/png" and enc.data[:4] == b"\x89PNG"
    rng = random.Random(1)
    photo = Image.frombytes("RGB", (640, 480), bytes(rng.randrange(256) for _ in range(640 * 480 * 3)))
    photo = photo.resize((1280, 960))
    assert imaging.encode_screen(photo).mime == "image/jpeg"
