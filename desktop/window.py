"""Showing the Team app: a native pywebview window, the default browser, or nothing.

pywebview is imported only here and only when a window is wanted, so the server runs on
machines without any GUI toolkit.
"""

from __future__ import annotations

import logging
import os
import sys
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Literal

log = logging.getLogger(__name__)

WINDOW_TITLE = "Team"
DEFAULT_WINDOW = (1180, 720)  # wide enough for the main screen's two columns, short enough for 768 px
MIN_WINDOW = (420, 560)
FALLBACK_SCREEN = (1366, 768)  # the smallest common laptop screen, when the real one is unknown


def window_size(
    screen_w: int | None,
    screen_h: int | None,
    default: tuple[int, int] = DEFAULT_WINDOW,
    min_size: tuple[int, int] = MIN_WINDOW,
) -> tuple[int, int]:
    """The native window's opening size on a screen of ``screen_w`` x ``screen_h`` pixels.

    At most ``default``, and at most 95% of the screen's width and 90% of its height, which
    leaves room for the title bar, panels and a taskbar; never below ``min_size``. An unknown
    screen (None or 0) counts as a 1366x768 laptop, so the window fits there too.
    """
    if not screen_w or not screen_h or screen_w <= 0 or screen_h <= 0:
        screen_w, screen_h = FALLBACK_SCREEN
    width = min(default[0], int(screen_w * 0.95))
    height = min(default[1], int(screen_h * 0.9))
    return max(width, min_size[0]), max(height, min_size[1])


def screen_size(webview) -> tuple[int, int] | None:
    """The first screen's usable size (less panels where the toolkit says), or None if unknown.

    pywebview's ``webview.screens`` works before ``webview.start()``; with Qt, each screen's
    ``frame`` is the QScreen, whose available geometry leaves out panels and taskbars.
    """
    try:
        screens = webview.screens
        if not screens:
            return None
        first = screens[0]
        available = getattr(first.frame, "availableGeometry", None)
        if callable(available):
            geometry = available()
            return int(geometry.width()), int(geometry.height())
        return int(first.width), int(first.height)
    except Exception:  # no display, or a toolkit that cannot say
        log.debug("screen size unknown", exc_info=True)
        return None


def has_display(environ=os.environ, platform: str = sys.platform) -> bool:
    if platform.startswith(("win", "darwin")):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def resolve_mode(setting: str, environ=os.environ, platform: str = sys.platform) -> str:
    """Turn the ``window`` setting into what to do: native, browser or none.

    ``auto`` picks native with a display; with none (a server, an SSH session) it only prints
    the URL, since a "default browser" there would be a text browser taking over the terminal.
    """
    if setting != "auto":
        return setting
    return "native" if has_display(environ, platform) else "none"


def prepare_qt_environment(environ=os.environ) -> None:
    """QtWebEngine refuses to run as root without these flags (containers, CI)."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        flags = environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
        for flag in ("--no-sandbox", "--disable-gpu"):
            if flag not in flags:
                flags = f"{flags} {flag}".strip()
        environ["QTWEBENGINE_CHROMIUM_FLAGS"] = flags
    environ.setdefault("NO_AT_BRIDGE", "1")


class NativeWindowUnavailable(RuntimeError):
    pass


def run_native_window(url: str, icon: Path, on_ready: Callable[[], None] | None = None) -> None:
    """Open the window and block until the user closes it (must run on the main thread)."""
    prepare_qt_environment()
    try:
        import webview
    except Exception as exc:  # ImportError, or a toolkit failing to load its libraries
        raise NativeWindowUnavailable(f"pywebview is not usable here: {exc}") from exc
    gui: Literal["qt"] | None = "qt" if sys.platform.startswith("linux") else None
    if gui:  # so that asking for the screens starts the same toolkit as webview.start(gui=...)
        os.environ.setdefault("PYWEBVIEW_GUI", gui)
    width, height = window_size(*(screen_size(webview) or (None, None)))
    webview.create_window(
        WINDOW_TITLE, url, width=width, height=height, min_size=MIN_WINDOW, background_color="#f5f7f8"
    )
    try:
        webview.start(func=on_ready, gui=gui, icon=str(icon), private_mode=True)
    except Exception as exc:  # pywebview raises WebViewException when no GUI backend works
        raise NativeWindowUnavailable(f"no native window backend works here: {exc}") from exc


def close_native_windows() -> None:
    """Close any open pywebview window (used on Ctrl-C / SIGTERM)."""
    webview = sys.modules.get("webview")
    if webview is None:
        return
    for window in list(getattr(webview, "windows", [])):
        try:
            window.destroy()
        except Exception:  # the window may already be gone
            log.debug("window already closed", exc_info=True)


def open_in_browser(url: str) -> bool:
    try:
        return webbrowser.open(url, new=1)
    except webbrowser.Error:
        return False


def show_native_window() -> bool:
    """Bring the pywebview window to the front (from the tray's Open); False if there is none."""
    webview = sys.modules.get("webview")
    if webview is None or not getattr(webview, "windows", None):
        return False
    window = webview.windows[0]
    try:
        window.restore()
        window.show()
    except Exception:  # the window is closing
        return False
    return True
