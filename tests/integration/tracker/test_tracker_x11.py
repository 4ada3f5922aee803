"""Real X11 sources on the virtual display: xterm windows opened and driven by xdotool."""

import io
import random
import subprocess

import pytest
from PIL import Image

from models.capture_store import CaptureImage, CaptureMinute, CaptureSegment, SqliteCaptureSink
from models.local import open_local_database
from tests.integration.tracker.conftest import wait_for, xdotool
from tracker.clock import SystemClock
from tracker.loop import CaptureLoop
from tracker.ports import Counts
from tracker.snapshot import Preferences, Scope, take_snapshot
from tracker.sources.input_x11 import NO_LIBXTST, X11InputCounter
from tracker.sources.platform import real_sources
from tracker.sources.screen_mss import MssScreenSource
from tracker.sources.x11 import X11WindowSource
from tracker.sources.x11_record_xtst import XtstReader

GREEN = (0, 200, 0)


def close_to(pixel, colour, tol=40):
    return all(abs(a - b) <= tol for a, b in zip(pixel, colour, strict=True))


def test_active_window_is_the_xterm_with_both_title_forms(xterm):
    source = X11WindowSource()
    source.start()
    try:
        info = source.active_window()
        assert info.app == "XTerm" and info.title == xterm.title
        assert info.rect.width > 300 and info.rect.height > 200
        # WM_NAME as STRING (what `xdotool set_window --name` sets)
        xdotool("set_window", "--name", "plain name", xterm.window_id)
        wait_for(lambda: source.active_window().title == "plain name", what="STRING title")
        # WM_NAME as COMPOUND_TEXT with no _NET_WM_NAME at all
        subprocess.run(["xprop", "-id", xterm.window_id, "-remove", "_NET_WM_NAME"], check=True)
        subprocess.run(
            ["xprop", "-id", xterm.window_id, "-f", "WM_NAME", "8t", "-set", "WM_NAME", "Café notes"], check=True
        )
        wait_for(lambda: source.active_window().title == "Café notes", what="COMPOUND_TEXT title")
        assert source.pointer() is not None
    finally:
        source.stop()
    assert source.active_window() is None


@pytest.mark.parametrize("reader", ["libXtst", "python-xlib fallback"])
def test_input_counts_equal_the_events_xdotool_sent(xterm, reader):
    counter = X11InputCounter() if reader == "libXtst" else X11InputCounter(libraries=lambda: None)
    counter.start()
    try:
        assert counter.health() == ("OK" if reader == "libXtst" else NO_LIBXTST)
        counter.take()
        xdotool("type", "--delay", "5", "hello world")  # 11 key presses, no shift
        xdotool("key", "Return", "Return")
        xdotool("click", "--repeat", "3", "--delay", "20", "1")
        xdotool("click", "4")
        xdotool("click", "4")
        xdotool("click", "5")
        expected = Counts(keys=13, clicks=3, scrolls=3)
        wait_for(lambda: counter.peek().total >= expected.total, what="all input events")
        assert counter.take() == expected
    finally:
        counter.stop()
    assert counter.health() == "activity counting is not running"


def test_libxtst_counter_counts_a_burst_exactly_and_nothing_after_stop(xterm):
    """2,000 modifier presses and 1,000 wheel clicks as fast as xdotool sends them; then
    the counter is stopped (its reader thread ends) and restarted, and counts again."""
    counter = X11InputCounter()
    counter.start()
    try:
        assert isinstance(counter._reader, XtstReader)
        counter.take()
        xdotool("key", "--repeat", "2000", "--delay", "0", "shift")
        xdotool("click", "--repeat", "1000", "--delay", "0", "5")
        expected = Counts(keys=2000, scrolls=1000)
        wait_for(lambda: counter.peek().total >= expected.total, what="the burst")
        # xdotool's last event was recorded before the one we waited for arrived; a burst
        # counted twice or a release counted as a press would show up here.
        assert counter.take() == expected
        thread = counter._reader._thread
        counter.stop()
        assert thread is not None and not thread.is_alive(), "disabling the context ends the reader thread"
        xdotool("key", "shift")
        assert counter.take() == Counts()
        counter.start()
        assert counter.health() == "OK"
        xdotool("click", "1")
        wait_for(lambda: counter.peek().clicks == 1, what="a click after the restart")
        assert counter.take() == Counts(clicks=1)
    finally:
        counter.stop()


def test_snapshot_shows_the_window_and_names_it(xterm):
    screen, window = MssScreenSource(), X11WindowSource()
    screen.start()
    window.start()
    try:
        for scope in (Scope.DESKTOP, Scope.ACTIVE_SCREEN):
            record = take_snapshot(SystemClock().now(), screen, window, None, Preferences(scope=scope))
            assert record.app == "XTerm" and record.title == xterm.title
            assert record.screen_status == "OK"
            image = Image.open(io.BytesIO(record.screen.data)).convert("RGB")
            assert image.size == (1920, 1080) == (record.screen.width, record.screen.height)
            rect = window.active_window().rect
            assert close_to(image.getpixel((rect.left + rect.width - 10, rect.top + rect.height - 10)), GREEN)
            assert not close_to(image.getpixel((1900, 1060)), GREEN)
            thumb = Image.open(io.BytesIO(record.screen.thumbnail))
            assert thumb.size == (320, 180)
            # no mss instance (and its desktop-sized shared buffer) is kept between snapshots
            assert screen._instances == [] and not _shared_buffers()
    finally:
        screen.stop()
        window.stop()


def _shared_buffers() -> list[str]:
    """This process's mappings of mss's shared-memory capture buffer."""
    with open("/proc/self/maps") as maps:
        return [line for line in maps if "mss-shm-buf" in line]


def test_hidden_title_pattern_replaces_the_title(xterm):
    screen, window = MssScreenSource(), X11WindowSource()
    screen.start()
    window.start()
    try:
        xdotool("set_window", "--name", "Vault - KeePassXC", xterm.window_id)
        wait_for(lambda: window.active_window().title == "Vault - KeePassXC", what="title change")
        record = take_snapshot(SystemClock().now(), screen, window, None, Preferences())
        assert record.title == "(hidden)" and record.app == "XTerm"
    finally:
        screen.stop()
        window.stop()


def test_logging_with_real_sources_stores_counts_window_and_snapshot(xterm, tmp_path):
    db = open_local_database(tmp_path / "cache.sqlite3")
    sink = SqliteCaptureSink(tmp_path / "data")
    parts = real_sources(camera=None)
    loop = CaptureLoop(clock=SystemClock(), sink=sink, rng=random.Random(1), **parts)
    events = []
    loop.subscribe(events.append)
    loop.start(42)
    try:
        status = loop.status()
        assert status.logging and status.capture == "OK" and status.input == "OK" and status.window == "OK"
        xterm.activate()
        xdotool("mousemove", "--window", xterm.window_id, "40", "40")  # click inside: focus stays
        xdotool("type", "--delay", "5", "abc def")
        xdotool("click", "1")
        xdotool("click", "5")
        wait_for(lambda: parts["inputs"].peek().total >= 9, what="input events")
    finally:
        loop.stop()
    seg = CaptureSegment.get()
    assert seg.contract_id == 42 and 0 < seg.logged_seconds <= 600
    assert (seg.app_name, seg.window_title) == ("XTerm", xterm.title)
    totals = [(m.keys, m.clicks, m.scrolls) for m in CaptureMinute.select()]
    assert tuple(map(sum, zip(*totals, strict=True))) == (7, 1, 1)
    shot = CaptureImage.get(CaptureImage.kind == "screen")
    image = Image.open(sink.image_path(shot)).convert("RGB")
    assert image.size == (1920, 1080) and shot.size_bytes == sink.image_path(shot).stat().st_size
    green = sum(1 for p in image.reduce(16).get_flattened_data() if close_to(p, GREEN))
    assert green > 20, "the xterm's green background should be in the snapshot"
    assert any(type(e).__name__ == "SnapshotTaken" for e in events)
    db.close()
