"""Encoding a grabbed image for storage: screen image + JPEG thumbnail + content hash.

Screens are mostly text and flat colours, which JPEG handles badly (ringing around glyphs,
~350 KB for a full-HD screen of code at q70). Mapping the pixels onto the fixed 216-colour
web palette (no dithering) and storing an 8-bit PNG with fast zlib keeps glyph edges exact,
is ~3x smaller and about as fast (Pillow's C code; ~20 ms for 1920x1080). Photo-like
screens do not compress that way (and would band), so when the PNG comes out large the
screen is stored as JPEG instead. Camera frames are always JPEG. bench/capture.py prints
the figures and writes a crop of a stored snapshot.

Pillow is imported lazily (by the sources that make images, and here inside functions).
"""

from __future__ import annotations

import hashlib
import io
import zlib
from typing import TYPE_CHECKING

from tracker.ports import EncodedImage, Rect

if TYPE_CHECKING:
    from PIL.Image import Image

#: JPEG quality of screen snapshots that are stored as JPEG (photo-like content). 4:2:0
#: chroma subsampling halves colour detail only; luminance keeps full resolution.
SCREEN_QUALITY = 70
#: A palette PNG larger than this means photo-like content: JPEG is used instead.
SCREEN_PNG_MAX_BYTES = 160_000
CAMERA_QUALITY = 75
THUMBNAIL_SIZE = (320, 180)
THUMBNAIL_QUALITY = 70


def _jpeg(image: Image, quality: int) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality, subsampling=2)
    return buf.getvalue()


def _palette_png(image: Image) -> bytes:
    from PIL import Image as PILImage

    buf = io.BytesIO()
    pal = image.convert("P", palette=PILImage.Palette.WEB, dither=PILImage.Dither.NONE)
    # zlib level 1 with the RLE strategy: as fast as plain level 1 and ~25% smaller on
    # screens, whose palette rows are long runs of one colour.
    pal.save(buf, "PNG", compress_level=1, compress_type=zlib.Z_RLE)
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


def encode(image: Image, quality: int = CAMERA_QUALITY) -> EncodedImage:
    """Encode ``image`` as JPEG, with a JPEG thumbnail and the SHA-256 of the bytes."""
    if image.mode != "RGB":
        image = image.convert("RGB")
    return _encoded(image, _jpeg(image, quality), "image/jpeg")


def encode_screen(image: Image, quality: int = SCREEN_QUALITY) -> EncodedImage:
    """Encode a screen grab: palette PNG for text-like screens, JPEG for photo-like ones."""
    if image.mode != "RGB":
        image = image.convert("RGB")
    png = _palette_png(image)
    if len(png) <= SCREEN_PNG_MAX_BYTES:
        return _encoded(image, png, "image/png")
    jpeg = _jpeg(image, quality)
    return _encoded(image, jpeg, "image/jpeg") if len(jpeg) < len(png) else _encoded(image, png, "image/png")


def _encoded(image: Image, data: bytes, mime: str) -> EncodedImage:
    thumb = _jpeg(thumbnail_of(image), THUMBNAIL_QUALITY)
    return EncodedImage(
        data=data,
        thumbnail=thumb,
        width=image.size[0],
        height=image.size[1],
        sha256=hashlib.sha256(data).hexdigest(),
        mime=mime,
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
