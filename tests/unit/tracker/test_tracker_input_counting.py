"""Input counting: no count may be lost between listener threads and the loop's per-minute take.

The loop takes (reads and resets) the counts every minute while listener threads keep
adding; a count added during a take must land in that minute or the next, never in
neither. These tests hammer the real counting code from several threads, synchronised
with barriers and joins (no sleeps, no timing), and check the totals exactly.
"""

from __future__ import annotations

import sys
import threading
from types import SimpleNamespace

from tracker.ports import Counts, InputTally
from tracker.sources.input_pynput import PynputInputCounter
from tracker.sources.input_x11 import X11InputCounter, count_events

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


def test_x11_callback_loses_no_count_while_the_loop_takes():
    """The X11 counter's real reply callback, fed recorded-event blocks from several
    threads (as a stand-in for bursts), against the loop's take."""
    counter = X11InputCounter()
    key = _event(2, 38) + _event(3, 38)  # press + release of one key: one keystroke
    wheel = _event(4, 5) + _event(5, 5)  # wheel down: one scroll
    click = _event(4, 1) + _event(5, 1)  # left button: one click
    replies = [SimpleNamespace(category=0, data=d) for d in (key, wheel, click, key + wheel + click)]

    total, _ = _hammer(lambda i: counter._on_reply(replies[i % 4]), counter.take)
    quarter = PER_ADDER // 4
    assert total == Counts(keys=ADDERS * quarter * 2, clicks=ADDERS * quarter * 2, scrolls=ADDERS * quarter * 2)
    assert counter.peek() == Counts()


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


def test_x11_callback_ignores_replies_that_carry_no_events():
    """StartOfData / EndOfData and client-started replies are not input."""
    counter = X11InputCounter()
    for category in (1, 2, 3, 4, 5):
        counter._on_reply(SimpleNamespace(category=category, data=_event(2, 38)))
    assert counter.take() == Counts()
    counter._on_reply(SimpleNamespace(category=0, data=_event(2, 38)))
    assert counter.take() == Counts(keys=1)


def test_x11_counter_not_started_says_so():
    counter = X11InputCounter()
    assert counter.health() == "activity counting is not running"
    counter.stop()  # stopping what never started is harmless
    assert counter.take() == Counts()
