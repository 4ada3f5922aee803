"""Keystroke, click and scroll counting with pynput's global listeners (Windows, macOS).

On X11 the app uses :mod:`tracker.sources.input_x11` instead (one RECORD context, no
per-event decoding; see there why).

Privacy by construction: the callbacks receive the key or button and ignore it; all they
do is add one to a counter under a lock. Nothing about the event is stored or logged.
"""

from __future__ import annotations

import logging
import sys

from tracker.ports import OK, Counts, InputTally
from tracker.sources.status import MACOS_INPUT_PERMISSION

log = logging.getLogger(__name__)

NOT_STARTED = "activity counting is not running"


class PynputInputCounter:
    def __init__(self) -> None:
        self._tally = InputTally()
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
        if sys.platform == "darwin" and not getattr(kb, "IS_TRUSTED", True):
            self._status = MACOS_INPUT_PERMISSION
        else:
            self._status = OK

    def stop(self) -> None:
        for listener in self._listeners:
            listener.stop()
        for listener in self._listeners:
            listener.join(1)
        self._listeners = []
        self._status = NOT_STARTED

    # Listener callbacks: run on pynput's threads for every event, so they do one thing.
    def _on_key(self, *_event: object) -> None:
        self._tally.add(keys=1)

    def _on_click(self, *event: object) -> None:
        if len(event) >= 4 and not event[3]:  # (x, y, button, pressed, ...): count presses only
            return
        self._tally.add(clicks=1)

    def _on_scroll(self, *_event: object) -> None:
        self._tally.add(scrolls=1)

    def take(self) -> Counts:
        return self._tally.take()

    def peek(self) -> Counts:
        """The counts since the last ``take``, without resetting (for idle detection)."""
        return self._tally.peek()

    def health(self) -> str:
        if self._status == OK and not all(listener.is_alive() for listener in self._listeners):
            return "activity counting stopped unexpectedly: turn logging off and on again"
        return self._status
