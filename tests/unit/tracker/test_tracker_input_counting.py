"""Input counting: no count may be lost between listener threads and the loop's per-minute take.

The loop takes (reads and resets) the counts every minute while listener threads keep
adding; a count added during a take must land in that minute or the next, never in
neither. These tests hammer the real counting code from several threads, synchronised
with barriers and joins (no sleeps, no timing), and check the totals exactly.
"""

from __future__ import annotations

import ctypes
import sys
import threading
from types import SimpleNamespace

import pytest

from tracker.ports import Counts, InputTally
from tracker.sources import x11_record_xtst
from tracker.sources.input_pynput import PynputInputCounter
from tracker.sources.input_x11 import X11InputCounter
from tracker.sources.x11_record import count_events
from tracker.sources.x11_record_xlib import PyXlibReader
from tracker.sources.x11_record_xtst import XtstReader, _InterceptData, _InterceptProc

ADDERS = 4
PER_ADDER = 20_000


def _event(kind: int, detail: int, send_event: bool = False) -> bytes:
    """One recorded core event as the X server sends it: 32 bytes, type first."""
    return bytes([kind | (0x80 if send_event else 0), detail]) + bytes(30)


def _hammer(add_one, take) -> tuple[Counts, int]:
    """Run ADDERS threads that each call ``add_one(i)`` PER_ADDER times while another
    thread keeps calling ``take``; return the sum of everything taken (including a final
    take after all threads ended) and how many takes saw a non-empty interval."""
    start = threading.Barrier(ADDERS + 1)
    adders_done = threading.Event()
    taken: list[Counts] = []

    def adder() -> None:
        start.wait()
        for i in range(PER_ADDER):
            add_one(i)

    def taker() -> None:
        start.wait()
        while not adders_done.is_set():
            taken.append(take())

    threads = [threading.Thread(target=adder) for _ in range(ADDERS)]
    flusher = threading.Thread(target=taker)
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often, so an unlocked read-and-reset would lose counts
    try:
        for t in [*threads, flusher]:
            t.start()
        for t in threads:
            t.join()
        adders_done.set()
        flusher.join()
    finally:
        sys.setswitchinterval(switch)
    taken.append(take())  # whatever arrived after the flusher's last take
    total = Counts()
    for c in taken:
        total = total + c
    return total, sum(1 for c in taken if c.total)


def test_tally_loses_no_count_while_another_thread_takes():
    tally = InputTally()

    def add_one(i: int) -> None:
        tally.add(keys=1) if i % 3 == 0 else tally.add(clicks=1) if i % 3 == 1 else tally.add(scrolls=1)

    total, nonempty_takes = _hammer(add_one, tally.take)
    per_kind = PER_ADDER // 3
    assert total == Counts(
        keys=ADDERS * (per_kind + (PER_ADDER % 3 > 0)),
        clicks=ADDERS * (per_kind + (PER_ADDER % 3 > 1)),
        scrolls=ADDERS * per_kind,
    )
    assert total.total == ADDERS * PER_ADDER
    assert tally.take() == Counts()  # nothing left behind, nothing counted twice
    assert nonempty_takes >= 1


class _FakeXtst:
    """Stands in for libXtst's XRecordFreeData only: the elements in these tests are
    allocated by the test, so they must not reach the real free; every call is recorded
    so a test can check that each element is handed back exactly once."""

    def __init__(self) -> None:
        self.freed: list[int] = []
        self._lock = threading.Lock()

    def XRecordFreeData(self, data) -> None:
        with self._lock:
            self.freed.append(ctypes.addressof(data.contents))


class _Element:
    """One XRecordInterceptData as libXtst hands it to the callback, with its event bytes."""

    def __init__(self, category: int, event: bytes = b"", data_len: int | None = None) -> None:
        self.buffer = (ctypes.c_ubyte * max(1, len(event))).from_buffer_copy(event or b"\0")
        self.struct = _InterceptData(
            category=category,
            data=ctypes.cast(self.buffer, ctypes.POINTER(ctypes.c_ubyte)) if event else None,
            data_len=len(event) // 4 if data_len is None else data_len,
        )
        self.pointer = ctypes.pointer(self.struct)


def _xtst_reader() -> tuple[XtstReader, InputTally, _FakeXtst, object]:
    """The real libXtst reader's callback, wrapped in its real ctypes trampoline (what
    libXtst calls), with a recording XRecordFreeData."""
    tally, xtst = InputTally(), _FakeXtst()
    reader = XtstReader(SimpleNamespace(x11=None, xtst=xtst), tally)  # type: ignore[arg-type]
    return reader, tally, xtst, _InterceptProc(reader._on_data)


def test_xtst_callback_counts_presses_from_type_and_wheel_bytes_and_frees_every_element():
    reader, tally, xtst, callback = _xtst_reader()
    elements = [
        _Element(0, _event(2, 10)),  # key press
        _Element(0, _event(3, 10)),  # key release: nothing
        _Element(0, _event(2, 200, send_event=True)),  # a synthetic (SendEvent) press still counts
        _Element(0, _event(4, 1)),  # left click
        _Element(0, _event(4, 9)),  # "forward" button: a click
        _Element(0, _event(5, 1)),  # release: nothing
        _Element(0, _event(4, 4)),  # wheel up
        _Element(0, _event(4, 7)),  # wheel right
        _Element(0, _event(6, 0)),  # motion: not input we count
        _Element(0, _event(2, 10)[:16]),  # a truncated element is not an event
        _Element(1, _event(2, 10)),  # from a client (requests): not input
        _Element(2),  # client started
        _Element(3),  # client died
        _Element(5),  # end of data
    ]
    for e in elements:
        callback(None, e.pointer)
    assert tally.take() == Counts(keys=2, clicks=2, scrolls=2)
    assert sorted(xtst.freed) == sorted(ctypes.addressof(e.struct) for e in elements)
    assert not reader._enabled.is_set()  # only StartOfData says the context is enabled


def test_xtst_start_of_data_marks_the_context_enabled():
    reader, tally, xtst, callback = _xtst_reader()
    start = _Element(4)
    callback(None, start.pointer)
    assert reader._enabled.is_set()
    assert tally.take() == Counts() and xtst.freed == [ctypes.addressof(start.struct)]


def test_xtst_callback_loses_no_count_while_the_loop_takes():
    """The libXtst callback through its ctypes trampoline from several threads against the
    loop's take (libXtst calls it on one thread; several make lost updates likelier)."""
    _, tally, xtst, callback = _xtst_reader()
    kinds = [
        _Element(0, _event(2, 38)),
        _Element(0, _event(3, 38)),
        _Element(0, _event(4, 5)),
        _Element(0, _event(4, 1)),
    ]

    total, _ = _hammer(lambda i: callback(None, kinds[i % 4].pointer), tally.take)
    quarter = ADDERS * PER_ADDER // 4
    assert total == Counts(keys=quarter, clicks=quarter, scrolls=quarter)
    assert len(xtst.freed) == ADDERS * PER_ADDER


def test_missing_libxtst_means_no_libraries(monkeypatch):
    monkeypatch.setattr(
        x11_record_xtst.ctypes.util, "find_library", lambda name: None if name == "Xtst" else "libX11.so.6"
    )
    assert x11_record_xtst.load_record_libraries() is None


def test_found_libraries_load_with_their_prototypes():
    """On this machine (scripts/system-deps.sh installs libx11-6 and libxtst6) both load."""
    libs = x11_record_xtst.load_record_libraries()
    assert libs is not None
    assert libs.xtst.XRecordEnableContext.argtypes[2] is _InterceptProc
    assert libs.x11.XOpenDisplay.restype is ctypes.c_void_p


def test_x11_counter_start_failure_is_its_health(monkeypatch):
    """No X server to talk to: start raises and health() says why (never "OK")."""
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    counter = X11InputCounter()
    with pytest.raises(RuntimeError):
        counter.start()
    assert "could not connect to the X server" in counter.health()
    counter.stop()
    assert counter.health() == "activity counting is not running"


def test_python_xlib_callback_loses_no_count_while_the_loop_takes():
    """The fallback reader's real reply callback, fed recorded-event blocks from several
    threads (as a stand-in for bursts), against the loop's take."""
    tally = InputTally()
    counter = PyXlibReader(tally)
    key = _event(2, 38) + _event(3, 38)  # press + release of one key: one keystroke
    wheel = _event(4, 5) + _event(5, 5)  # wheel down: one scroll
    click = _event(4, 1) + _event(5, 1)  # left button: one click
    replies = [SimpleNamespace(category=0, data=d) for d in (key, wheel, click, key + wheel + click)]

    total, _ = _hammer(lambda i: counter.on_reply(replies[i % 4]), tally.take)
    quarter = PER_ADDER // 4
    assert total == Counts(keys=ADDERS * quarter * 2, clicks=ADDERS * quarter * 2, scrolls=ADDERS * quarter * 2)
    assert tally.peek() == Counts()


def test_pynput_callbacks_lose_no_count_while_the_loop_takes():
    counter = PynputInputCounter()

    def add_one(i: int) -> None:
        if i % 2:
            counter._on_key("secret-key-object", False)
        else:
            counter._on_click(1, 2, "button", True, False)
            counter._on_click(1, 2, "button", False, False)  # release: not counted

    total, _ = _hammer(add_one, counter.take)
    assert total == Counts(keys=ADDERS * PER_ADDER // 2, clicks=ADDERS * PER_ADDER // 2)


def test_count_events_reads_only_type_and_wheel_buttons():
    data = b"".join(
        [
            _event(2, 10),  # key press
            _event(3, 10),  # key release: nothing
            _event(2, 200, send_event=True),  # a synthetic (SendEvent) press still counts
            _event(4, 1),  # left click
            _event(4, 3),  # right click
            _event(4, 9),  # "forward" button: a click, not a scroll
            _event(5, 1),  # release: nothing
            _event(4, 4),  # wheel up
            _event(4, 6),  # wheel left
            _event(4, 7),  # wheel right
            _event(6, 0),  # motion (not recorded by our context, ignored anyway)
        ]
    )
    assert count_events(data) == (2, 3, 3)
    assert count_events(b"") == (0, 0, 0)
    assert count_events(data[:31]) == (0, 0, 0)  # a partial event is not an event


def test_python_xlib_callback_ignores_replies_that_carry_no_events():
    """StartOfData / EndOfData and client-started replies are not input."""
    tally = InputTally()
    counter = PyXlibReader(tally)
    for category in (1, 2, 3, 4, 5):
        counter.on_reply(SimpleNamespace(category=category, data=_event(2, 38)))
    assert tally.take() == Counts()
    counter.on_reply(SimpleNamespace(category=0, data=_event(2, 38)))
    assert tally.take() == Counts(keys=1)


def test_x11_counter_not_started_says_so():
    counter = X11InputCounter()
    assert counter.health() == "activity counting is not running"
    counter.stop()  # stopping what never started is harmless
    assert counter.take() == Counts()
