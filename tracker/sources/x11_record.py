"""What the two X11 input readers share: the RECORD stream and how it is counted.

Both readers (``x11_record_xtst``: libXtst through ctypes; ``x11_record_xlib``: the
python-xlib fallback) record one context for the core device events KeyPress..ButtonRelease
from all clients and count them from two bytes of each 32-byte event: the event type and,
for a button press, whether the button is a wheel (4-7). Key codes, positions and windows
are never read. The constants below are the protocol's (X.h, record.h, recordstr.h).
"""

from __future__ import annotations

from typing import Protocol

NO_RECORD = (
    "activity counting needs the X server's RECORD extension, which this X server does not "
    "offer: enable it (it is on by default in Xorg) or log in to a standard Xorg session"
)

# Core X11 event types (X.h); the recorded range is KeyPress..ButtonRelease.
KEY_PRESS, KEY_RELEASE, BUTTON_PRESS, BUTTON_RELEASE = 2, 3, 4, 5
WHEEL_BUTTONS = range(4, 8)  # up, down, left, right
EVENT_SIZE = 32
#: RECORD reply categories (record.h / recordstr.h).
FROM_SERVER, START_OF_DATA, END_OF_DATA = 0, 4, 5
ALL_CLIENTS = 3  # XRecordAllClients


def count_events(data: bytes) -> tuple[int, int, int]:
    """(keys, clicks, scrolls) in a block of recorded core events (32 bytes each).

    A key counts at its press; a button press counts as a scroll for the wheel buttons
    and as a click otherwise; releases count nothing."""
    keys = clicks = scrolls = 0
    for offset in range(0, len(data) - EVENT_SIZE + 1, EVENT_SIZE):
        kind = data[offset] & 0x7F  # the top bit marks events sent with SendEvent
        if kind == KEY_PRESS:
            keys += 1
        elif kind == BUTTON_PRESS:
            if data[offset + 1] in WHEEL_BUTTONS:
                scrolls += 1
            else:
                clicks += 1
    return keys, clicks, scrolls


class RecordReader(Protocol):
    """One way of reading the RECORD stream into the tally."""

    failure: str | None

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def alive(self) -> bool: ...
