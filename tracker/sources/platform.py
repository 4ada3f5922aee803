"""Pick the real sources for the running OS (the only place that branches on it)."""

from __future__ import annotations

import sys
from typing import Any

from tracker.sources.camera_cv import OpenCVCamera
from tracker.sources.status import UnavailableInput, UnavailableScreen, UnavailableWindow, session_problem


def real_sources(camera: int | str | None = 0) -> dict[str, Any]:
    """Keyword arguments for :class:`tracker.loop.CaptureLoop`: screen, inputs, window,
    camera. Nothing is opened here; each source opens its library when logging starts."""
    cam = OpenCVCamera(camera)
    problem = session_problem()
    if problem is not None:
        return {
            "screen": UnavailableScreen(problem),
            "inputs": UnavailableInput(problem),
            "window": UnavailableWindow(problem),
            "camera": cam,
        }
    from tracker.sources.screen_mss import MssScreenSource

    inputs: Any
    if sys.platform == "win32":
        from tracker.sources.input_pynput import PynputInputCounter
        from tracker.sources.win32 import Win32WindowSource

        window: Any = Win32WindowSource()
        inputs = PynputInputCounter()
    elif sys.platform == "darwin":
        from tracker.sources.input_pynput import PynputInputCounter
        from tracker.sources.macos import QuartzWindowSource

        window = QuartzWindowSource()
        inputs = PynputInputCounter()
    else:
        from tracker.sources.input_x11 import X11InputCounter
        from tracker.sources.x11 import X11WindowSource

        window = X11WindowSource()
        inputs = X11InputCounter()
    return {"screen": MssScreenSource(), "inputs": inputs, "window": window, "camera": cam}
