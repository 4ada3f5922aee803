"""Status messages for the environments where capture cannot work, and sources that say so.

On a Wayland session there is no portable, silent way for an app to read the screen, the
active window or global input; grabbing through XWayland gives black images and misses
native windows. Rather than store black images, capture reports what to do.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from tracker.ports import Counts, Rect, WindowInfo

WAYLAND = (
    "This is a Wayland session: screen snapshots, the active window and activity counts are "
    "not available to apps. Log out and choose an 'Xorg'/'X11' session on the login screen "
    "(e.g. 'Ubuntu on Xorg') to track time with snapshots."
)
NO_DISPLAY = (
    "No X display (DISPLAY is not set): start the Team app from your desktop session, not from "
    "a text console or an SSH shell without X forwarding."
)
MACOS_SCREEN_PERMISSION = (
    "macOS blocked the screen snapshot: allow the Team app in System Settings > Privacy & "
    "Security > Screen Recording, then restart the app."
)
MACOS_INPUT_PERMISSION = (
    "macOS blocked activity counting: allow the Team app in System Settings > Privacy & "
    "Security > Accessibility and Input Monitoring, then restart the app."
)


def session_problem(env: Mapping[str, str] | None = None, platform: str | None = None) -> str | None:
    """Why capture cannot work in this desktop session, or None if it can (as far as the
    environment tells; permissions are checked by the sources themselves)."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if platform.startswith("linux") or "bsd" in platform:
        if env.get("XDG_SESSION_TYPE", "").lower() == "wayland" or (
            env.get("WAYLAND_DISPLAY") and env.get("XDG_SESSION_TYPE", "").lower() != "x11"
        ):
            return WAYLAND
        if not env.get("DISPLAY"):
            return NO_DISPLAY
    return None


class UnavailableScreen:
    """Screen source for a session where capture cannot work: says why, grabs nothing."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def monitors(self) -> list[Rect]:
        return []

    def grab(self, region: Rect | None):
        raise RuntimeError(self.reason)

    def health(self) -> str:
        return self.reason


class UnavailableInput:
    def __init__(self, reason: str) -> None:
        self.reason = reason

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def take(self) -> Counts:
        return Counts()

    def health(self) -> str:
        return self.reason


class UnavailableWindow:
    def __init__(self, reason: str) -> None:
        self.reason = reason

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def active_window(self) -> WindowInfo | None:
        return None

    def pointer(self) -> tuple[int, int] | None:
        return None

    def health(self) -> str:
        return self.reason
