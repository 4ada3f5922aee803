"""Active application and window title on X11, through python-xlib.

With a window manager, ``_NET_ACTIVE_WINDOW`` on the root window names the active client;
without one, the input focus is climbed up to the window that carries ``WM_CLASS``.
Titles are read from ``_NET_WM_NAME`` (UTF8_STRING) and, failing that, ``WM_NAME``
(STRING or COMPOUND_TEXT): both forms occur in practice. One Display connection is kept
and used only from the loop thread.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from tracker.ports import OK, Rect, WindowInfo

log = logging.getLogger(__name__)

NOT_STARTED = "the active window is not being read (logging is off)"
_CT_ESCAPE = re.compile(rb"\x1b(?:%G|%@|[\(\)\-\.\/\$][A-Za-z0-9@\(\)]*|\x9b)")


def decode_compound_text(raw: bytes) -> str:
    """Best-effort COMPOUND_TEXT decode: UTF-8 segments (ESC % G) and Latin-1 otherwise."""
    if b"\x1b%G" in raw:
        return _CT_ESCAPE.sub(b"", raw).decode("utf-8", "replace")
    return _CT_ESCAPE.sub(b"", raw).decode("latin-1")


class X11WindowSource:
    def __init__(self, display_name: str | None = None) -> None:
        self._display_name = display_name
        self._d: Any = None  # an Xlib.display.Display once started (python-xlib has no type information)
        self._status = NOT_STARTED

    def start(self) -> None:
        try:
            from Xlib import display
        except ImportError as exc:
            self._status = f"python-xlib is missing: {exc}"
            raise
        try:
            self._d = display.Display(self._display_name)
        except Exception as exc:
            self._status = f"cannot open the X display to read the active window: {exc}"
            raise
        self._root = self._d.screen().root
        atom = self._d.intern_atom
        self._net_active = atom("_NET_ACTIVE_WINDOW")
        self._net_wm_name = atom("_NET_WM_NAME")
        self._utf8 = atom("UTF8_STRING")
        self._compound = atom("COMPOUND_TEXT")
        self._status = OK

    def stop(self) -> None:
        if self._d is not None:
            try:
                self._d.close()
            except Exception as exc:  # the server is already gone
                log.debug("closing the X display failed: %s", exc)
        self._d = None
        self._status = NOT_STARTED

    def health(self) -> str:
        return self._status

    def pointer(self) -> tuple[int, int] | None:
        if self._d is None:
            return None
        try:
            p = self._root.query_pointer()
            return p.root_x, p.root_y
        except Exception as exc:
            log.debug("query_pointer failed: %s", exc)
            return None

    def active_window(self) -> WindowInfo | None:
        if self._d is None:
            return None
        from Xlib.error import XError

        try:
            win = self._active_client()
            if win is None:
                return None
            wm_class = win.get_wm_class()
            app = wm_class[1] if wm_class else ""
            return WindowInfo(app=app or "", title=self._title(win), rect=self._rect(win))
        except (XError, ConnectionError) as exc:  # the window closed meanwhile, etc.
            log.debug("active window lookup failed: %s", exc)
            return None

    def _active_client(self):
        from Xlib import X

        prop = self._root.get_full_property(self._net_active, X.AnyPropertyType)
        if prop is not None and len(prop.value) and prop.value[0]:
            win = self._d.create_resource_object("window", int(prop.value[0]))
            return self._with_class(win)
        focus = self._d.get_input_focus().focus
        if isinstance(focus, int) or focus in (X.NONE, X.PointerRoot):
            return None
        return self._with_class(focus)

    def _with_class(self, win):
        """``win`` or its nearest ancestor that has WM_CLASS (a top-level client)."""
        root_id = self._root.id
        while win is not None and win.id != root_id:
            if win.get_wm_class() is not None:
                return win
            win = win.query_tree().parent
        return None

    def _title(self, win) -> str:
        from Xlib import X, Xatom

        prop = win.get_full_property(self._net_wm_name, self._utf8)
        if prop is not None and prop.value:
            return _as_bytes(prop.value).decode("utf-8", "replace")
        prop = win.get_full_property(Xatom.WM_NAME, X.AnyPropertyType)
        if prop is None or not prop.value:
            return ""
        raw = _as_bytes(prop.value)
        if prop.property_type == self._utf8:
            return raw.decode("utf-8", "replace")
        if prop.property_type == self._compound:
            return decode_compound_text(raw)
        return raw.decode("latin-1")

    def _rect(self, win) -> Rect | None:
        geom = win.get_geometry()
        pos = win.translate_coords(self._root, 0, 0)
        # translate_coords(root) gives root's origin in win's coordinates: negate it.
        return Rect(-pos.x, -pos.y, geom.width, geom.height)


def _as_bytes(value) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("latin-1", "replace")
    return bytes(value)
