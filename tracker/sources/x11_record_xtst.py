"""Reading the RECORD stream through libXtst (ctypes): the X11 input counter's main reader.

Why libXtst and not python-xlib: at 5,000 events/s every python-xlib RECORD reader
(pynput's and our former one alike) missed 0-3 key events of 25,000 in a 10 s burst; a tap
on its socket showed they never arrived, while a C client using libXtst in the same run
received all of them. Making the python-xlib connection XKB-aware (as libX11 connections
are) did not change that. So the events are read by libXtst's ``XRecordEnableContext`` on a
libX11 connection, and Python only sees a callback per event. libX11 and libXtst are the
Debian packages libx11-6 and libxtst6 (scripts/system-deps.sh); the libraries are loaded
only by :func:`load_record_libraries`, which the counter calls in ``start``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading
from typing import Any

from tracker.ports import InputTally
from tracker.sources.x11_record import (
    ALL_CLIENTS,
    BUTTON_PRESS,
    BUTTON_RELEASE,
    EVENT_SIZE,
    FROM_SERVER,
    KEY_PRESS,
    NO_RECORD,
    START_OF_DATA,
    WHEEL_BUTTONS,
)

log = logging.getLogger(__name__)

#: How long start() waits for the server to confirm the context is enabled.
_ENABLE_TIMEOUT = 5.0


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
            rng.contents.device_events.first = KEY_PRESS
            rng.contents.device_events.last = BUTTON_RELEASE
            clients = ctypes.c_ulong(ALL_CLIENTS)
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
            if category == FROM_SERVER:
                if d.data_len * 4 >= EVENT_SIZE:
                    raw = d.data
                    kind = raw[0] & 0x7F  # the top bit marks events sent with SendEvent
                    if kind == KEY_PRESS:
                        self._tally.add(keys=1)
                    elif kind == BUTTON_PRESS:
                        if raw[1] in WHEEL_BUTTONS:
                            self._tally.add(scrolls=1)
                        else:
                            self._tally.add(clicks=1)
            elif category == START_OF_DATA:
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
