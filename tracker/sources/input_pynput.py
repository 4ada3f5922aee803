"""Keystroke, click and scroll counting with pynput's global listeners.

Privacy by construction: the callbacks receive the key or button and ignore it; all they
do is add one to a counter under a lock. Nothing about the event is stored or logged.
"""

from __future__ import annotations

import logging
import sys
import threading
import time

from tracker.ports import OK, Counts
from tracker.sources.status import MACOS_INPUT_PERMISSION

log = logging.getLogger(__name__)

NOT_STARTED = "activity counting is not running"


class PynputInputCounter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys = 0
        self._clicks = 0
        self._scrolls = 0
        self._listeners: list = []
        self._status = NOT_STARTED

    def start(self) -> None:
        if self._listeners:
            return
        try:
            from pynput import keyboard, mouse
        except ImportError as exc:  # pynput raises this when no display/backend is usable
            self._status = f"activity counting is not available here: {exc}"
            raise
        kb = keyboard.Listener(on_press=self._on_key)
        ms = mouse.Listener(on_click=self._on_click, on_scroll=self._on_scroll)
        for listener in (kb, ms):
            listener.daemon = True
            listener.start()
        for listener in (kb, ms):
            listener.wait()
        self._listeners = [kb, ms]
        _wait_until_xorg_recording(self._listeners)
        if sys.platform == "darwin" and not getattr(kb, "IS_TRUSTED", True):
            self._status = MACOS_INPUT_PERMISSION
        else:
            self._status = OK

    def stop(self) -> None:
        for listener in self._listeners:
            listener.stop()
            _unblock_xorg_listener(listener)
        for listener in self._listeners:
            listener.join(1)
        self._listeners = []
        self._status = NOT_STARTED

    # Listener callbacks: run on pynput's threads for every event, so they do one thing.
    def _on_key(self, *_event: object) -> None:
        with self._lock:
            self._keys += 1

    def _on_click(self, *event: object) -> None:
        if len(event) >= 4 and not event[3]:  # (x, y, button, pressed, ...): count presses only
            return
        with self._lock:
            self._clicks += 1

    def _on_scroll(self, *_event: object) -> None:
        with self._lock:
            self._scrolls += 1

    def take(self) -> Counts:
        with self._lock:
            counts = Counts(self._keys, self._clicks, self._scrolls)
            self._keys = self._clicks = self._scrolls = 0
        return counts

    def peek(self) -> Counts:
        """The counts since the last ``take``, without resetting (for idle detection)."""
        with self._lock:
            return Counts(self._keys, self._clicks, self._scrolls)

    def health(self) -> str:
        if self._status == OK and not all(listener.is_alive() for listener in self._listeners):
            return "activity counting stopped unexpectedly: turn logging off and on again"
        return self._status


def _unblock_xorg_listener(listener: object) -> None:
    """pynput's X11 listener sends its RECORD disable request without flushing it, so its
    thread lingers until the next input event. Sending the same request on a fresh
    connection (RECORD requires another client for that) ends it at once."""
    context = getattr(listener, "_context", None)
    if context is None or not sys.platform.startswith("linux"):
        return
    try:
        from Xlib import display

        d = display.Display()
        try:
            d.record_disable_context(context)
            d.flush()
        finally:
            d.close()
    except Exception as exc:  # the listener still ends at the next event
        log.debug("could not unblock the X11 input listener: %s", exc)


def _wait_until_xorg_recording(listeners: list, timeout: float = 2.0) -> None:
    """pynput's X11 listeners report "ready" just before they enable their RECORD context,
    so events right after ``start()`` could be missed (seen under load). Ask the server
    until each context is enabled: a start-up-only wait of a few milliseconds at most."""
    if not sys.platform.startswith("linux"):
        return
    contexts = [c for c in (getattr(listener, "_context", None) for listener in listeners) if c is not None]
    if not contexts:
        return
    try:
        from Xlib import display
        from Xlib.ext import record
        from Xlib.protocol import rq

        class _GetContext(rq.ReplyRequest):
            # python-xlib's own GetContext reply skips the "enabled" byte (and fails to
            # parse the client list), so read just the fixed part.
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

        d = display.Display()
        try:
            opcode = d.display.get_extension_major(record.extname)
            deadline = time.monotonic() + timeout
            for context in contexts:
                while not _GetContext(display=d.display, opcode=opcode, context=context).enabled:
                    if time.monotonic() > deadline:
                        log.warning("X11 input recording did not start within %.1f s", timeout)
                        return
                    time.sleep(0.002)
        finally:
            d.close()
    except Exception as exc:  # counting still works; only the first events may be missed
        log.debug("could not confirm that X11 input recording started: %s", exc)
