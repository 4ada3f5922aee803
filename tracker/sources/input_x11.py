"""Keystroke, click and scroll counting on X11 from one RECORD context, without pynput.

Why libXtst (through ctypes) and not python-xlib: at 5,000 events/s every python-xlib
RECORD reader (pynput's and our former one alike) missed 0-3 key events of 25,000 in a
10 s burst; a tap on its socket showed they never arrived, while a C client using libXtst
in the same run received all of them. Making the python-xlib connection XKB-aware (as
libX11 connections are) did not change that. So the events are now read by libXtst's
``XRecordEnableContext`` on a libX11 connection, and Python only sees a callback per
event. libX11 and libXtst are the Debian packages libx11-6 and libxtst6
(scripts/system-deps.sh); without libXtst the python-xlib reader below still counts, and
health() asks for the package.

Why not pynput: its X11 listeners open two RECORD contexts (keyboard; buttons *and pointer
motion*, so every mouse movement is shipped to us) and decode every event into Python
objects. One context for KeyPress..ButtonRelease, counted from the type byte, is cheaper.

Privacy by construction: the callbacks look at two bytes of each 32-byte event, the event
type and, for button presses, whether the button is a wheel (4-7). Key codes, positions
and windows are never read, stored or logged.

Both libraries (and python-xlib) are loaded lazily, in ``start``.

A libX11 connection that breaks (the X server ends) ends the process through libX11's
I/O error handling, as it does for the app's window and the screen grabber (mss) already:
the session is over then anyway.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading
import time
from typing import Any, Protocol

from tracker.ports import OK, Counts, InputTally

log = logging.getLogger(__name__)

NOT_STARTED = "activity counting is not running"
NO_RECORD = (
    "activity counting needs the X server's RECORD extension, which this X server does not "
    "offer: enable it (it is on by default in Xorg) or log in to a standard Xorg session"
)
NO_LIBXTST = (
    "activity counting runs without libXtst and may miss a keystroke when input is very fast: "
    "install the libxtst6 package (sudo apt-get install libxtst6) and turn logging off and on"
)

# Core X11 event types (X.h); the recorded range is KeyPress..ButtonRelease.
_KEY_PRESS, _KEY_RELEASE, _BUTTON_PRESS, _BUTTON_RELEASE = 2, 3, 4, 5
_WHEEL_BUTTONS = range(4, 8)  # up, down, left, right
_EVENT_SIZE = 32
#: RECORD reply categories (record.h / recordstr.h).
_FROM_SERVER, _START_OF_DATA, _END_OF_DATA = 0, 4, 5
_ALL_CLIENTS = 3  # XRecordAllClients
#: How long start() waits for the server to confirm the context is enabled.
_ENABLE_TIMEOUT = 5.0


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


# --- libX11 + libXtst through ctypes ---------------------------------------------------------


class _Range8(ctypes.Structure):
    _fields_ = [("first", ctypes.c_ubyte), ("last", ctypes.c_ubyte)]


class _Range16(ctypes.Structure):
    _fields_ = [("first", ctypes.c_ushort), ("last", ctypes.c_ushort)]


class _ExtRange(ctypes.Structure):
    _fields_ = [("ext_major", _Range8), ("ext_minor", _Range16)]


class _RecordRange(ctypes.Structure):
    """XRecordRange (record.h)."""

    _fields_ = [
        ("core_requests", _Range8),
        ("core_replies", _Range8),
        ("ext_requests", _ExtRange),
        ("ext_replies", _ExtRange),
        ("delivered_events", _Range8),
        ("device_events", _Range8),
        ("errors", _Range8),
        ("client_started", ctypes.c_int),
        ("client_died", ctypes.c_int),
    ]


class _InterceptData(ctypes.Structure):
    """XRecordInterceptData (record.h): one recorded protocol element."""

    _fields_ = [
        ("id_base", ctypes.c_ulong),
        ("server_time", ctypes.c_ulong),
        ("client_seq", ctypes.c_ulong),
        ("category", ctypes.c_int),
        ("client_swapped", ctypes.c_int),
        ("data", ctypes.POINTER(ctypes.c_ubyte)),
        ("data_len", ctypes.c_ulong),  # in 4-byte units
    ]


_InterceptProc = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.POINTER(_InterceptData))


class RecordLibraries:
    """libX11 and libXtst with the prototypes we call (wrong argument sizes would be
    silent memory corruption with ctypes' int defaults, hence every one is declared)."""

    def __init__(self, x11: ctypes.CDLL, xtst: ctypes.CDLL) -> None:
        dpy, ctx, ulong, c_int = ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_int
        x11.XOpenDisplay.argtypes, x11.XOpenDisplay.restype = [ctypes.c_char_p], dpy
        x11.XCloseDisplay.argtypes, x11.XCloseDisplay.restype = [dpy], c_int
        x11.XSync.argtypes, x11.XSync.restype = [dpy, c_int], c_int
        x11.XFree.argtypes, x11.XFree.restype = [ctypes.c_void_p], c_int
        x11.XQueryExtension.argtypes = [dpy, ctypes.c_char_p, *[ctypes.POINTER(c_int)] * 3]
        x11.XQueryExtension.restype = c_int
        xtst.XRecordAllocRange.argtypes, xtst.XRecordAllocRange.restype = [], ctypes.POINTER(_RecordRange)
        xtst.XRecordCreateContext.argtypes = [
            dpy,
            c_int,
            ctypes.POINTER(ulong),
            c_int,
            ctypes.POINTER(ctypes.POINTER(_RecordRange)),
            c_int,
        ]
        xtst.XRecordCreateContext.restype = ctx
        xtst.XRecordEnableContext.argtypes = [dpy, ctx, _InterceptProc, ctypes.c_void_p]
        xtst.XRecordEnableContext.restype = c_int
        xtst.XRecordDisableContext.argtypes, xtst.XRecordDisableContext.restype = [dpy, ctx], c_int
        xtst.XRecordFreeContext.argtypes, xtst.XRecordFreeContext.restype = [dpy, ctx], c_int
        xtst.XRecordFreeData.argtypes = [ctypes.POINTER(_InterceptData)]
        xtst.XRecordFreeData.restype = None
        self.x11, self.xtst = x11, xtst


def load_record_libraries() -> RecordLibraries | None:
    """libX11 + libXtst, or None when either cannot be found or loaded."""
    handles = []
    for name in ("X11", "Xtst"):
        path = ctypes.util.find_library(name)
        if path is None:
            log.warning("lib%s not found: X11 activity counting falls back to python-xlib", name)
            return None
        try:
            handles.append(ctypes.CDLL(path))
        except OSError as exc:
            log.warning("could not load %s (%s): X11 activity counting falls back to python-xlib", path, exc)
            return None
    return RecordLibraries(*handles)


class _Reader(Protocol):
    """One way of reading the RECORD stream into the tally."""

    failure: str | None

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def alive(self) -> bool: ...


class XtstReader:
    """RECORD through libXtst: a control connection owns the context, a reader connection
    blocks in XRecordEnableContext on its own thread and calls back once per event."""

    def __init__(self, libs: RecordLibraries, tally: InputTally) -> None:
        self._libs, self._tally = libs, tally
        self._control: int | None = None
        self._context = 0
        self._thread: threading.Thread | None = None
        self._enabled = threading.Event()
        self.failure: str | None = None
        # ctypes must keep the C callback object alive while the server may call it.
        self._callback = _InterceptProc(self._on_data)

    def start(self) -> None:
        x11, xtst = self._libs.x11, self._libs.xtst
        control = x11.XOpenDisplay(None)
        if not control:
            raise RuntimeError("activity counting could not connect to the X server (is DISPLAY set?)")
        opcode, event, error = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
        if not x11.XQueryExtension(control, b"RECORD", ctypes.byref(opcode), ctypes.byref(event), ctypes.byref(error)):
            x11.XCloseDisplay(control)
            raise RuntimeError(NO_RECORD)
        reader = x11.XOpenDisplay(None)
        if not reader:
            x11.XCloseDisplay(control)
            raise RuntimeError("activity counting could not open its second X connection")
        rng = xtst.XRecordAllocRange()
        try:
            rng.contents.device_events.first = _KEY_PRESS
            rng.contents.device_events.last = _BUTTON_RELEASE
            clients = ctypes.c_ulong(_ALL_CLIENTS)
            ranges = ctypes.pointer(rng)
            context = xtst.XRecordCreateContext(control, 0, ctypes.byref(clients), 1, ranges, 1)
        finally:
            x11.XFree(rng)
        x11.XSync(control, 0)  # the context exists before the reader enables it
        if not context:
            x11.XCloseDisplay(reader)
            x11.XCloseDisplay(control)
            raise RuntimeError("activity counting could not create its RECORD context")
        self._control, self._context, self.failure = control, context, None
        self._enabled.clear()
        self._thread = threading.Thread(
            target=self._read, args=(reader, context), name="x11-input-counter", daemon=True
        )
        self._thread.start()
        # The server's StartOfData reply (see _on_data) says the context is enabled, so that
        # events right after start() are counted; a failed enable sets the event too.
        if not self._enabled.wait(_ENABLE_TIMEOUT):
            log.warning("X11 input recording did not start within %.1f s", _ENABLE_TIMEOUT)
        if self.failure is not None:
            self.stop()
            raise RuntimeError(self.failure)

    def _read(self, reader: int, context: int) -> None:
        """Reader thread: blocks in XRecordEnableContext (ctypes releases the GIL) until
        the context is disabled from the control connection."""
        x11, xtst = self._libs.x11, self._libs.xtst
        try:
            if not xtst.XRecordEnableContext(reader, context, self._callback, None):
                self.failure = "activity counting could not start recording input on the X server"
                log.warning("XRecordEnableContext failed")
        finally:
            self._enabled.set()
            x11.XCloseDisplay(reader)

    def _on_data(self, _closure: Any, data: Any) -> None:
        """libXtst's callback, once per recorded element, on the reader thread. Reads the
        event's type byte and, for a button press, its button byte: never key codes."""
        try:
            d = data.contents
            category = d.category
            if category == _FROM_SERVER:
                if d.data_len * 4 >= _EVENT_SIZE:
                    raw = d.data
                    kind = raw[0] & 0x7F  # the top bit marks events sent with SendEvent
                    if kind == _KEY_PRESS:
                        self._tally.add(keys=1)
                    elif kind == _BUTTON_PRESS:
                        if raw[1] in _WHEEL_BUTTONS:
                            self._tally.add(scrolls=1)
                        else:
                            self._tally.add(clicks=1)
            elif category == _START_OF_DATA:
                self._enabled.set()
        finally:
            self._libs.xtst.XRecordFreeData(data)

    def stop(self) -> None:
        control, context, thread = self._control, self._context, self._thread
        self._control, self._context, self._thread = None, 0, None
        if control is None:
            return
        x11, xtst = self._libs.x11, self._libs.xtst
        # Disabling from the control connection makes the server send EndOfData to the
        # reader, whose XRecordEnableContext then returns.
        xtst.XRecordDisableContext(control, context)
        x11.XSync(control, 0)
        if thread is not None:
            thread.join(2)
            if thread.is_alive():
                log.warning("the X11 input reader did not end after its context was disabled")
        xtst.XRecordFreeContext(control, context)
        x11.XSync(control, 0)
        x11.XCloseDisplay(control)

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()


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
                    "device_events": (_KEY_PRESS, _BUTTON_RELEASE),
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
        if reply.category != _FROM_SERVER:
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


class X11InputCounter:
    """The InputCounter port on X11: one RECORD context read by libXtst (or, without
    libXtst, by python-xlib), one reader thread, counts into one InputTally."""

    def __init__(self, libraries: Any = load_record_libraries) -> None:
        """``libraries`` returns the loaded RecordLibraries or None (a parameter so that a
        test can run the python-xlib fallback on a machine that has libXtst)."""
        self._tally = InputTally()
        self._libraries = libraries
        self._reader: _Reader | None = None
        self._status = NOT_STARTED
        self._running_status = OK

    def start(self) -> None:
        if self._reader is not None:
            return
        libs = self._libraries()
        reader: _Reader
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
