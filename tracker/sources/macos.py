"""Active application and window title on macOS, through AppKit and Quartz (pyobjc).

Written against the same port as the X11 source but not run in this project's CI. Window
titles from ``CGWindowListCopyWindowInfo`` are only given to apps that hold the Screen
Recording permission (macOS 10.15+), which snapshots need anyway; without it the status
says how to grant it instead of silently storing empty titles.
"""

from __future__ import annotations

import logging

from tracker.ports import OK, Rect, WindowInfo
from tracker.sources.status import MACOS_SCREEN_PERMISSION

log = logging.getLogger(__name__)

NOT_STARTED = "the active window is not being read (logging is off)"
PYOBJC_MISSING = (
    "reading the active window needs pyobjc on macOS: pip install pyobjc-framework-Quartz pyobjc-framework-Cocoa"
)


class QuartzWindowSource:
    def __init__(self) -> None:
        self._quartz = None
        self._workspace = None
        self._status = NOT_STARTED

    def start(self) -> None:
        try:
            import Quartz
            from AppKit import NSWorkspace
        except ImportError:
            self._status = PYOBJC_MISSING
            raise
        self._quartz = Quartz
        self._workspace = NSWorkspace.sharedWorkspace()
        preflight = getattr(Quartz, "CGPreflightScreenCaptureAccess", None)
        if preflight is not None and not preflight():
            self._status = MACOS_SCREEN_PERMISSION
            request = getattr(Quartz, "CGRequestScreenCaptureAccess", None)
            if request is not None:
                request()  # shows the system prompt once; the user must restart the app
        else:
            self._status = OK

    def stop(self) -> None:
        self._quartz = self._workspace = None
        self._status = NOT_STARTED

    def health(self) -> str:
        return self._status

    def active_window(self) -> WindowInfo | None:
        if self._quartz is None:
            return None
        q = self._quartz
        app = self._workspace.frontmostApplication()
        if app is None:
            return None
        name = str(app.localizedName() or "")
        pid = app.processIdentifier()
        options = q.kCGWindowListOptionOnScreenOnly | q.kCGWindowListExcludeDesktopElements
        windows = q.CGWindowListCopyWindowInfo(options, q.kCGNullWindowID) or []
        for w in windows:  # front to back: the first normal-layer window of the app is active
            if w.get("kCGWindowOwnerPID") == pid and w.get("kCGWindowLayer", 0) == 0:
                b = w.get("kCGWindowBounds") or {}
                rect = Rect(int(b.get("X", 0)), int(b.get("Y", 0)), int(b.get("Width", 0)), int(b.get("Height", 0)))
                return WindowInfo(app=name, title=str(w.get("kCGWindowName") or ""), rect=rect)
        return WindowInfo(app=name, title="", rect=None)

    def pointer(self) -> tuple[int, int] | None:
        if self._quartz is None:
            return None
        loc = self._quartz.CGEventGetLocation(self._quartz.CGEventCreate(None))
        return int(loc.x), int(loc.y)
