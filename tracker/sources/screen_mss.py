"""Screen pixels through mss (X11 XShmGetImage, Win32 BitBlt, macOS CoreGraphics)."""

from __future__ import annotations

import logging
import sys
import threading
from typing import TYPE_CHECKING

from tracker import imaging
from tracker.ports import OK, Rect
from tracker.sources.status import MACOS_SCREEN_PERMISSION

if TYPE_CHECKING:
    from PIL.Image import Image

log = logging.getLogger(__name__)


class MssScreenSource:
    """Grabs the whole virtual desktop (mss monitor 0: every monitor where it sits) or one
    region. One mss instance per thread (mss keeps per-thread X/GDI handles), closed after
    each grab: on X11 it holds a shared-memory buffer the size of the whole desktop (8 MB
    for 1920x1080) that would otherwise stay in the app's memory between snapshots, which
    are ten minutes apart."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._instances: list = []
        self._status = OK
        self._lock = threading.Lock()

    def start(self) -> None:
        self._sct()  # says now when there is no screen to capture
        self._release()

    def stop(self) -> None:
        with self._lock:
            instances, self._instances = self._instances, []
        for sct in instances:
            self._close(sct)
        self._local = threading.local()

    @staticmethod
    def _close(sct) -> None:
        try:
            sct.close()
        except Exception as exc:  # a dead connection: nothing left to release
            log.debug("closing mss failed: %s", exc)

    def _release(self) -> None:
        """Close the calling thread's instance (and its shared-memory buffer)."""
        sct = getattr(self._local, "sct", None)
        if sct is None:
            return
        self._local.sct = None
        with self._lock:
            if sct in self._instances:
                self._instances.remove(sct)
        self._close(sct)

    def _sct(self):
        sct = getattr(self._local, "sct", None)
        if sct is None:
            try:
                import mss

                sct = mss.MSS()
            except Exception as exc:
                self._status = f"screen capture is not available: {exc}"
                raise
            self._local.sct = sct
            with self._lock:
                self._instances.append(sct)
        return sct

    def monitors(self) -> list[Rect]:
        return [Rect(m["left"], m["top"], m["width"], m["height"]) for m in self._sct().monitors[1:]]

    def grab(self, region: Rect | None) -> Image:
        sct = self._sct()
        if region is None:
            box = sct.monitors[0]
        else:
            box = {"left": region.left, "top": region.top, "width": region.width, "height": region.height}
        try:
            shot = sct.grab(box)  # (its pixels are a copy: the shared buffer can go)
        finally:
            self._release()
        # A zero-copy view of mss's own BGRA buffer (shot.bgra would be an 8 MB copy, and
        # an RGB conversion ~4 ms): imaging encodes it with a channel-swapped palette.
        image = imaging.from_bgrx(shot.size, shot.raw)
        del shot
        if sys.platform == "darwin" and imaging.is_blank(image):
            # Without the Screen Recording permission macOS returns only the wallpaper or
            # black; report it instead of storing a useless image.
            self._status = MACOS_SCREEN_PERMISSION
            raise PermissionError(MACOS_SCREEN_PERMISSION)
        self._status = OK
        return image

    def health(self) -> str:
        return self._status
