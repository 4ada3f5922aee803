"""Reading the RECORD stream through python-xlib: the fallback when libXtst is missing.

Slower than libXtst and, under a 5,000 events/s burst, the X server occasionally leaves a
key event out of its stream (see ``x11_record_xtst``), so the counter's health says to
install libxtst6 while this reader runs. python-xlib is imported only in ``start``.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from tracker.ports import InputTally
from tracker.sources.x11_record import BUTTON_RELEASE, FROM_SERVER, KEY_PRESS, NO_RECORD, count_events

log = logging.getLogger(__name__)


class PyXlibReader:
    """RECORD through python-xlib: the fallback when libXtst is missing. Same context
    (KeyPress..ButtonRelease from all clients), counted per reply with count_events. Under
    a 5,000 events/s burst the X server occasionally leaves a key event out of its stream."""

    def __init__(self, tally: InputTally) -> None:
        self._tally = tally
        self._control: Any = None  # Xlib display that owns the context
        self._context: int | None = None
        self._thread: threading.Thread | None = None
        self.failure: str | None = None

    def start(self) -> None:
        from Xlib import display
        from Xlib.ext import record

        try:
            control = display.Display()
        except Exception as exc:
            raise RuntimeError(f"activity counting could not connect to the X server: {exc}") from exc
        if not control.has_extension(record.extname):
            control.close()
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
                    "device_events": (KEY_PRESS, BUTTON_RELEASE),
                    "errors": (0, 0),
                    "client_started": False,
                    "client_died": False,
                }
            ],
        )
        control.sync()  # the context exists before the reader enables it
        self._control, self._context, self.failure = control, context, None
        self._thread = threading.Thread(
            target=self._read, args=(reader, context), name="x11-input-counter", daemon=True
        )
        self._thread.start()
        _wait_until_enabled(control, context)

    def _read(self, reader: Any, context: int) -> None:
        """Reader thread: blocks in RecordEnableContext until the context is disabled."""
        try:
            reader.record_enable_context(context, self.on_reply)
        except Exception as exc:  # connection lost (X server gone): say so in health()
            self.failure = f"activity counting stopped: {exc}"
            log.warning("X11 input recording ended: %s", exc)
        finally:
            try:
                reader.close()
            except Exception as exc:  # already broken: nothing to release
                log.debug("closing the X11 input reader failed: %s", exc)

    def on_reply(self, reply: Any) -> None:
        """Called by python-xlib for each RECORD reply on the reader thread."""
        if reply.category != FROM_SERVER:
            return
        keys, clicks, scrolls = count_events(reply.data)
        if keys or clicks or scrolls:
            self._tally.add(keys, clicks, scrolls)

    def stop(self) -> None:
        control, context, thread = self._control, self._context, self._thread
        self._control = self._context = self._thread = None
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

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()


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
