"""Keystroke, click and scroll counting on X11 from one RECORD context, without pynput.

Why not pynput here: its X11 listeners open two RECORD contexts (keyboard; buttons *and
pointer motion*, so every mouse movement is shipped to us) and decode every event into
Python objects. One context for KeyPress..ButtonRelease, counted from the type byte,
costs ~40 us of CPU per event under the bench's load against ~100-130 us with pynput.

A known limit (bench/capture.py input, docs/capture.md): at 5,000 events/s the X server
(Xvfb 21.1 here) now and then leaves one key event out of the stream it writes to a
Python RECORD client that has fallen behind, with pynput and with this reader alike.
A tap on the socket showed the event never reached our process, while a C RECORD client
in the same run received it. Typing speeds are far below that rate.

Privacy by construction: the callback looks at two bytes of each 32-byte event, the event
type and, for button presses, whether the button is a wheel (4-7). Key codes, positions
and windows are never read, stored or logged.

python-xlib is imported lazily, in ``start``.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from tracker.ports import OK, Counts, InputTally

log = logging.getLogger(__name__)

NOT_STARTED = "activity counting is not running"
NO_RECORD = (
    "activity counting needs the X server's RECORD extension, which this X server does not "
    "offer: enable it (it is on by default in Xorg) or log in to a standard Xorg session"
)

# Core X11 event types (X.h); the recorded range is KeyPress..ButtonRelease.
_KEY_PRESS, _KEY_RELEASE, _BUTTON_PRESS, _BUTTON_RELEASE = 2, 3, 4, 5
_WHEEL_BUTTONS = range(4, 8)  # up, down, left, right
_EVENT_SIZE = 32
#: RECORD reply categories (record.h): only FromServer carries events.
_FROM_SERVER = 0


def count_events(data: bytes) -> tuple[int, int, int]:
    """(keys, clicks, scrolls) in a block of recorded core events (32 bytes each).

    A key counts at its press; a button press counts as a scroll for the wheel buttons
    and as a click otherwise; releases count nothing."""
    keys = clicks = scrolls = 0
    for offset in range(0, len(data) - _EVENT_SIZE + 1, _EVENT_SIZE):
        kind = data[offset] & 0x7F  # the top bit marks events sent with SendEvent
        if kind == _KEY_PRESS:
            keys += 1
        elif kind == _BUTTON_PRESS:
            if data[offset + 1] in _WHEEL_BUTTONS:
                scrolls += 1
            else:
                clicks += 1
    return keys, clicks, scrolls


class X11InputCounter:
    """The InputCounter port on X11: one RECORD context, one reader thread."""

    def __init__(self) -> None:
        self._tally = InputTally()
        self._control: Any = None  # Xlib display that owns the context
        self._context: int | None = None
        self._thread: threading.Thread | None = None
        self._status = NOT_STARTED
        self._failure: str | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        try:
            from Xlib import display
            from Xlib.ext import record
        except ImportError as exc:
            self._status = f"activity counting is not available here: {exc}"
            raise
        try:
            control = display.Display()
        except Exception as exc:
            self._status = f"activity counting could not connect to the X server: {exc}"
            raise
        if not control.has_extension(record.extname):
            control.close()
            self._status = NO_RECORD
            raise RuntimeError(NO_RECORD)
        reader = display.Display()
        context = control.record_create_context(
            0,
            [record.AllClients],
            [
                {
                    "core_requests": (0, 0),
                    "core_replies": (0, 0),
                    "ext_requests": (0, 0, 0, 0),
                    "ext_replies": (0, 0, 0, 0),
                    "delivered_events": (0, 0),
                    "device_events": (_KEY_PRESS, _BUTTON_RELEASE),
                    "errors": (0, 0),
                    "client_started": False,
                    "client_died": False,
                }
            ],
        )
        control.sync()  # the context exists before the reader enables it
        self._control, self._context, self._failure = control, context, None
        self._thread = threading.Thread(
            target=self._read, args=(reader, context), name="x11-input-counter", daemon=True
        )
        self._thread.start()
        _wait_until_enabled(control, context)
        self._status = OK

    def _read(self, reader: Any, context: int) -> None:
        """Reader thread: blocks in RecordEnableContext until the context is disabled."""
        try:
            reader.record_enable_context(context, self._on_reply)
        except Exception as exc:  # connection lost (X server gone): say so in health()
            self._failure = f"activity counting stopped: {exc}"
            log.warning("X11 input recording ended: %s", exc)
        finally:
            try:
                reader.close()
            except Exception as exc:  # already broken: nothing to release
                log.debug("closing the X11 input reader failed: %s", exc)

    def _on_reply(self, reply: Any) -> None:
        """Called by python-xlib for each RECORD reply on the reader thread."""
        if reply.category != _FROM_SERVER:
            return
        keys, clicks, scrolls = count_events(reply.data)
        if keys or clicks or scrolls:
            self._tally.add(keys, clicks, scrolls)

    def stop(self) -> None:
        control, context, thread = self._control, self._context, self._thread
        self._control = self._context = self._thread = None
        self._status = NOT_STARTED
        if control is None:
            return
        try:
            # Disabling from the control connection makes the server send EndOfData to the
            # reader, whose RecordEnableContext then returns.
            control.record_disable_context(context)
            control.sync()
            if thread is not None:
                thread.join(2)
            control.record_free_context(context)
            control.sync()
        except Exception as exc:  # the X server went away: the reader has ended too
            log.debug("stopping X11 input recording: %s", exc)
        finally:
            try:
                control.close()
            except Exception as exc:
                log.debug("closing the X11 control connection failed: %s", exc)

    def take(self) -> Counts:
        return self._tally.take()

    def peek(self) -> Counts:
        """The counts since the last ``take``, without resetting (for idle detection)."""
        return self._tally.peek()

    def health(self) -> str:
        if self._status == OK and (self._thread is None or not self._thread.is_alive()):
            return self._failure or "activity counting stopped unexpectedly: turn logging off and on again"
        return self._status


def _wait_until_enabled(control: Any, context: int, timeout: float = 2.0) -> None:
    """Return once the server reports the context enabled, so that events right after
    ``start()`` are counted (the reader thread enables it asynchronously). Asks the server
    every 2 ms: a start-up-only wait of a few milliseconds."""
    from Xlib.ext import record
    from Xlib.protocol import rq

    class _GetContext(rq.ReplyRequest):
        # python-xlib's own GetContext reply skips the "enabled" byte (and fails to parse
        # the client list), so read just the fixed part.
        _request = record.GetContext._request
        _reply = rq.Struct(
            rq.ReplyCode(),
            rq.Card8("enabled"),
            rq.Card16("sequence_number"),
            rq.ReplyLength(),
            rq.Card8("element_header"),
            rq.Pad(3),
            rq.Card32("n_clients"),
            rq.Pad(16),
        )

    opcode = control.display.get_extension_major(record.extname)
    deadline = time.monotonic() + timeout
    while not _GetContext(display=control.display, opcode=opcode, context=context).enabled:
        if time.monotonic() > deadline:
            log.warning("X11 input recording did not start within %.1f s", timeout)
            return
        time.sleep(0.002)
