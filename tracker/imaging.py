"""Encoding a grabbed image for storage: screen image + JPEG thumbnail + content hash.

Screens are mostly text and flat colours, which JPEG handles badly (ringing around glyphs,
~350 KB for a full-HD screen of code at q70). Mapping the pixels onto the fixed 216-colour
web palette (no dithering) and storing an 8-bit PNG with fast zlib keeps glyph edges exact,
is ~3x smaller and cheaper than JPEG: the PNG is written here, its pixels deflated by zlib-ng
(RLE, level 1: the bytes Pillow's own writer would make, 2.4x faster than zlib), and the thumbnail
is made from the palette image (a quarter of the bytes of the grab). Photo-like
screens do not compress that way (and would band), so when the PNG comes out large the
screen is stored as JPEG instead. Camera frames are always JPEG. bench/capture.py prints
the figures and writes a crop of a stored snapshot.

Pillow is imported lazily (by the sources that make images, and here inside functions).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import struct
import zlib
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, cast

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


#: ``Image.info`` key/value marking an "RGBX" image whose first three bands are blue, green,
#: red: a zero-copy view of a BGRA screen capture (:func:`from_bgrx`).
CHANNEL_ORDER = "channel_order"
BGR = "BGR"


def from_bgrx(size: tuple[int, int], buffer: bytes | bytearray) -> Image:
    """A zero-copy view of a BGRA/BGRX capture buffer (what mss returns on every OS).

    Converting it to RGB first costs ~4 ms per full-HD grab and is not needed: the palette
    step maps the swapped channels with a swapped palette, and only small images (the
    thumbnail) or the rare JPEG fallback are converted with :func:`to_rgb`."""
    from PIL import Image as PILImage

    image = PILImage.frombuffer("RGBX", size, buffer, "raw", "RGBX", 0, 1)
    image.info[CHANNEL_ORDER] = BGR
    return image


def _is_bgr(image: Image) -> bool:
    return image.mode == "RGBX" and image.info.get(CHANNEL_ORDER) == BGR


def to_rgb(image: Image) -> Image:
    """``image`` as a plain RGB image (undoing :func:`from_bgrx`'s channel order)."""
    from PIL import Image as PILImage

    if _is_bgr(image):
        blue, green, red, _x = image.split()
        return PILImage.merge("RGB", (red, green, blue))
    return image if image.mode == "RGB" else image.convert("RGB")


def _web_palette_for_bgr() -> bytes:
    """Pillow's web palette (10 reserved entries, then the 6x6x6 cube with red varying
    fastest), with red and blue exchanged: converting a BGR image with this palette gives
    the same pixels as converting its RGB twin with the web palette."""
    levels = range(0, 256, 51)
    cube = bytes(c for red in levels for green in levels for blue in levels for c in (red, green, blue))
    return bytes(30) + cube


def _jpeg(image: Image, quality: int) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality, subsampling=2)
    return buf.getvalue()


def _deflate_rle() -> Callable[[bytes], bytes]:
    """A zlib stream of level 1 with the RLE strategy: as fast as plain level 1 and ~25%
    smaller on screens, whose palette rows are long runs of one colour. zlib-ng makes the
    same stream 2.4x faster than zlib (3 ms against 7 for a full-HD screen); zlib where
    it has no wheel."""
    z: ModuleType = zlib
    with contextlib.suppress(ImportError):  # zlib where zlib-ng has no wheel
        from zlib_ng import zlib_ng

        z = zlib_ng

    def compress(data: bytes) -> bytes:
        c = z.compressobj(1, z.DEFLATED, 15, 8, z.Z_RLE)
        return c.compress(data) + c.flush()

    return compress


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _palette_image(image: Image) -> Image:
    """``image`` on the web palette, no dithering (glyph edges stay exact)."""
    from PIL import Image as PILImage

    pal = image.convert("P", palette=PILImage.Palette.WEB, dither=PILImage.Dither.NONE)
    if _is_bgr(image):
        pal.putpalette(_web_palette_for_bgr())
    return pal


def _png_of_palette_image(pal: Image) -> bytes:
    """An 8-bit palette PNG of ``pal``, written here rather than by Pillow so its pixels go
    through :func:`_deflate_rle`. Every row gets filter type 0 (none: the best for palette
    indices), which is a zero byte before the row: pasting the image one column to the
    right of a zero column makes those bytes without a Python loop."""
    from PIL import Image as PILImage

    width, height = pal.size
    rows = PILImage.new("P", (width + 1, height), 0)
    rows.paste(pal, (1, 0))
    palette = bytes(pal.getpalette() or [])
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)  # 8 bits, palette colour
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", ihdr),
            _chunk(b"PLTE", palette),
            _chunk(b"IDAT", _deflate_rle()(rows.tobytes())),
            _chunk(b"IEND", b""),
        )
    )


def _palette_png(image: Image) -> bytes:
    return _png_of_palette_image(_palette_image(image))


def thumbnail_of(image: Image, size: tuple[int, int] = THUMBNAIL_SIZE) -> Image:
    """A small RGB copy that fits ``size`` keeping the aspect ratio.

    ``reduce`` by an integer factor (a cheap box filter), then a bilinear resize if the
    factor was not exact: less aliasing on text than a resize alone. For large factors
    (a full-HD screen is 6x a 320x180 thumbnail) every second row and column is dropped
    first (nearest neighbour, nearly free) and the box filter covers the rest: half the
    cost of reducing the full image, and at thumbnail size the difference is a faint
    change in the grey of text lines.
    """
    from PIL import Image as PILImage

    w, h = image.size
    scale = max(w / size[0], h / size[1], 1.0)
    target = (max(1, round(w / scale)), max(1, round(h / scale)))
    factor = int(scale)
    small = image
    if factor >= 4 and factor % 2 == 0:
        small = small.resize((w // 2, h // 2), PILImage.Resampling.NEAREST)
        factor //= 2
    if small.mode == "P":  # palette indices cannot be averaged: colours first
        small = small.convert("RGB")
    if factor >= 2:
        small = small.reduce(factor)
    if small.size != target:
        small = small.resize(target, PILImage.Resampling.BILINEAR)
    if _is_bgr(image):
        small.info[CHANNEL_ORDER] = BGR  # reduce/resize drop info; the bands are still swapped
    return to_rgb(small)


def encode(image: Image, quality: int = CAMERA_QUALITY) -> EncodedImage:
    """Encode ``image`` as JPEG, with a JPEG thumbnail and the SHA-256 of the bytes."""
    image = to_rgb(image)
    return _encoded(image, _jpeg(image, quality), "image/jpeg")


def encode_screen(image: Image, quality: int = SCREEN_QUALITY) -> EncodedImage:
    """Encode a screen grab (RGB, or a BGR view from :func:`from_bgrx`): palette PNG for
    text-like screens, JPEG for photo-like ones."""
    if image.mode != "RGB" and not _is_bgr(image):
        image = image.convert("RGB")
    pal = _palette_image(image)
    png = _png_of_palette_image(pal)
    if len(png) <= SCREEN_PNG_MAX_BYTES:
        # The thumbnail of what is stored, from a quarter of the bytes.
        return _encoded(image, png, "image/png", thumbnail_from=pal)
    jpeg = _jpeg(to_rgb(image), quality)
    if len(jpeg) < len(png):
        return _encoded(image, jpeg, "image/jpeg")
    return _encoded(image, png, "image/png", thumbnail_from=pal)


def _encoded(image: Image, data: bytes, mime: str, thumbnail_from: Image | None = None) -> EncodedImage:
    thumb = _jpeg(thumbnail_of(thumbnail_from or image), THUMBNAIL_QUALITY)
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
    extrema = small.getextrema()
    bands: tuple[tuple[float, float], ...]
    if small.mode == "L":  # one band: getextrema gives a single (lo, hi) pair
        bands = (cast("tuple[float, float]", extrema),)
    else:  # one (lo, hi) pair per band
        bands = cast("tuple[tuple[float, float], ...]", extrema)
        if small.mode in ("RGBX", "RGBA"):
            bands = bands[:3]  # the padding/alpha byte is not a colour
    return all(hi == 0 for _lo, hi in bands)


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
