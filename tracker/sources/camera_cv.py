"""One still frame from a camera through OpenCV, on demand.

The device is opened for the frame and released right after, so the camera (and its
light) is on for a moment per segment, never continuously. The source is an index (a
device) or a path: a video file or an image sequence such as ``frames/img_%03d.jpg``,
which is how tests and demos stand in for a camera.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.ports import OK

if TYPE_CHECKING:
    from PIL.Image import Image

#: Frames read and dropped from a real device before the kept one: webcams deliver dark,
#: unexposed frames for a moment after opening.
WARMUP_FRAMES = 5
NOT_TRIED = "no camera snapshot taken yet"


def parse_camera_source(value: str | int | None) -> int | str | None:
    """Settings give the camera as text: "" / "none" -> None, "0" -> 0, else a path."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    value = value.strip()
    if value.lower() in ("", "none", "off"):
        return None
    return int(value) if value.isdigit() else value


class OpenCVCamera:
    def __init__(self, source: int | str | None = 0) -> None:
        self.source = source
        self._status = NOT_TRIED if source is not None else "no camera is configured: choose one in Preferences"

    def health(self) -> str:
        return self._status

    def grab(self) -> Image | None:
        if self.source is None:
            return None
        if isinstance(self.source, str) and "%" not in self.source and not Path(self.source).exists():
            self._status = f"camera file {self.source!r} does not exist: choose another camera in Preferences"
            return None
        os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")  # no V4L warnings on stderr
        try:
            import cv2
        except ImportError as exc:
            self._status = f"camera support is not installed (opencv-python-headless): {exc}"
            return None
        from PIL import Image as PILImage

        if isinstance(self.source, str) and "%" in self.source:
            cap = cv2.VideoCapture(self.source, cv2.CAP_IMAGES)
        else:
            cap = cv2.VideoCapture(self.source)
        try:
            if not cap.isOpened():
                what = f"at index {self.source}" if isinstance(self.source, int) else repr(self.source)
                self._status = (
                    f"no camera found {what}: connect a camera or choose another one in Preferences "
                    "(the screen snapshot was taken)"
                )
                return None
            if isinstance(self.source, int):
                for _ in range(WARMUP_FRAMES):
                    cap.grab()
            ok, frame = cap.read()
        finally:
            cap.release()
        if not ok or frame is None:
            self._status = "the camera did not deliver a picture (is another app using it?)"
            return None
        self._status = OK
        if frame.ndim == 2:
            return PILImage.fromarray(frame).convert("RGB")
        return PILImage.fromarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
