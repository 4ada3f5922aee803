"""Keystroke, click and scroll counting on X11 from one RECORD context, without pynput.

Why not pynput: its X11 listeners open two RECORD contexts (keyboard; buttons *and pointer
motion*, so every mouse movement is shipped to us) and decode every event into Python
objects. One context for KeyPress..ButtonRelease, counted from the type byte, is cheaper
(``x11_record``). It is read by libXtst through ctypes (``x11_record_xtst``), or, without
libXtst, by python-xlib (``x11_record_xlib``), which may miss a key in a fast burst; health()
then asks for the package.

Privacy by construction: the readers look at two bytes of each 32-byte event, the event
type and, for button presses, whether the button is a wheel (4-7). Key codes, positions
and windows are never read, stored or logged.

Both libraries (and python-xlib) are loaded lazily, in ``start``.

A libX11 connection that breaks (the X server ends) ends the process through libX11's
I/O error handling, as it does for the app's window and the screen grabber (mss) already:
the session is over then anyway.
"""

from __future__ import annotations

from typing import Any

from tracker.ports import OK, Counts, InputTally
from tracker.sources.x11_record import RecordReader
from tracker.sources.x11_record_xlib import PyXlibReader
from tracker.sources.x11_record_xtst import XtstReader, load_record_libraries

NOT_STARTED = "activity counting is not running"
NO_LIBXTST = (
    "activity counting runs without libXtst and may miss a keystroke when input is very fast: "
    "install the libxtst6 package (sudo apt-get install libxtst6) and turn logging off and on"
)


class X11InputCounter:
    """The InputCounter port on X11: one RECORD context read by libXtst (or, without
    libXtst, by python-xlib), one reader thread, counts into one InputTally."""

    def __init__(self, libraries: Any = load_record_libraries) -> None:
        """``libraries`` returns the loaded RecordLibraries or None (a parameter so that a
        test can run the python-xlib fallback on a machine that has libXtst)."""
        self._tally = InputTally()
        self._libraries = libraries
        self._reader: RecordReader | None = None
        self._status = NOT_STARTED
        self._running_status = OK

    def start(self) -> None:
        if self._reader is not None:
            return
        libs = self._libraries()
        reader: RecordReader
        if libs is not None:
            reader, running = XtstReader(libs, self._tally), OK
        else:
            try:
                import Xlib.ext.record  # noqa: F401  (the fallback needs python-xlib)
            except ImportError as exc:
                self._status = f"activity counting is not available here: {exc}; install libxtst6"
                raise
            reader, running = PyXlibReader(self._tally), NO_LIBXTST
        try:
            reader.start()
        except Exception as exc:
            self._status = str(exc) if isinstance(exc, RuntimeError) else f"activity counting failed to start: {exc}"
            raise
        self._reader, self._running_status, self._status = reader, running, running

    def stop(self) -> None:
        reader, self._reader = self._reader, None
        self._status = NOT_STARTED
        if reader is not None:
            reader.stop()

    def take(self) -> Counts:
        return self._tally.take()

    def peek(self) -> Counts:
        """The counts since the last ``take``, without resetting (for idle detection)."""
        return self._tally.peek()

    def health(self) -> str:
        reader = self._reader
        if reader is not None and not reader.alive():
            return reader.failure or "activity counting stopped unexpectedly: turn logging off and on again"
        return self._status
