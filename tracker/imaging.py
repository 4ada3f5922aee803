"""Encoding a grabbed image for storage: JPEG + thumbnail + content hash.

Pillow is imported by the callers that make images (sources, tests); this module only
uses methods of the image it is given, plus ``PIL.Image`` constants imported lazily.
JPEG (libjpeg-turbo) is used because it is an order of magnitude faster than WebP or PNG
at a comparable size on screen content; the quality is chosen so text stays readable
(see bench/capture.py for the figures and a crop).
"""

from __future__ import annotations

import hashlib
import io
from typing import TYPE_CHECKING

from tracker.ports import EncodedImage, Rect

if TYPE_CHECKING:
    from PIL.Image import Image

#: JPEG quality of screen snapshots. 4:2:0 chroma subsampling halves colour detail only;
#: luminance (what makes text readable) keeps full resolution.
SCREEN_QUALITY = 60
CAMERA_QUALITY = 75
THUMBNAIL_SIZE = (320, 180)
THUMBNAIL_QUALITY = 70


def _jpeg(image: Image, quality: int) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality, subsampling=2)
    return buf.getvalue()


def thumbnail_of(image: Image, size: tuple[int, int] = THUMBNAIL_SIZE) -> Image:
    """A small copy that fits ``size`` keeping the aspect ratio.

    ``reduce`` by an integer factor first (a cheap box filter), then a bilinear resize:
    about as fast as the resize alone, and less aliasing on text.
    """
    from PIL import Image as PILImage

    w, h = image.size
    scale = max(w / size[0], h / size[1], 1.0)
    target = (max(1, round(w / scale)), max(1, round(h / scale)))
    factor = int(scale)
    small = image.reduce(factor) if factor >= 2 else image
    if small.size != target:
        small = small.resize(target, PILImage.Resampling.BILINEAR)
    return small


def encode(image: Image, quality: int = SCREEN_QUALITY) -> EncodedImage:
    """Encode ``image`` (RGB) as JPEG, with a JPEG thumbnail and the SHA-256 of the bytes."""
    if image.mode != "RGB":
        image = image.convert("RGB")
    data = _jpeg(image, quality)
    thumb = _jpeg(thumbnail_of(image), THUMBNAIL_QUALITY)
    return EncodedImage(
        data=data,
        thumbnail=thumb,
        width=image.size[0],
        height=image.size[1],
        sha256=hashlib.sha256(data).hexdigest(),
    )


def is_blank(image: Image) -> bool:
    """True if every pixel is black: what a screen grab returns on macOS without the
    screen-recording permission (or on Wayland through XWayland)."""
    small = image.reduce(8) if min(image.size) >= 64 else image
    return all(hi == 0 for _lo, hi in small.getextrema())


def choose_monitor(monitors: list[Rect], point: tuple[int, int] | None) -> Rect | None:
    """The monitor containing ``point`` (the active window's centre, else the pointer);
    the first monitor if none does; None if there are no monitors."""
    if not monitors:
        return None
    if point is not None:
        for monitor in monitors:
            if monitor.contains(*point):
                return monitor
    return monitors[0]
