"""The zero-copy BGR path of screen encoding must store exactly what the RGB path stores.

mss hands over BGRA bytes; encoding them without an RGB conversion relies on a
channel-swapped palette and on swapping the thumbnail back. A slip there would store
screens with red and blue exchanged, which no size or speed figure would reveal.
"""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw

from tracker import imaging


def _colourful(size: tuple[int, int] = (640, 360)) -> Image.Image:
    """Flat colour blocks, text-like strokes and noise: every palette step is exercised."""
    rng = random.Random(4)
    image = Image.new("RGB", size, (30, 30, 30))
    draw = ImageDraw.Draw(image)
    for i in range(40):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.rectangle((x, y, x + rng.randrange(5, 120), y + rng.randrange(5, 60)), fill=colour)
        draw.text((rng.randrange(size[0]), rng.randrange(size[1])), f"line {i} def f(x): return x", fill=colour)
    noise = bytes(rng.randrange(256) for _ in range(60 * 60 * 3))
    image.paste(Image.frombytes("RGB", (60, 60), noise), (10, 10))
    return image


def _as_bgrx(image: Image.Image) -> Image.Image:
    """What MssScreenSource.grab returns for a screen showing ``image``."""
    red, green, blue = image.split()
    pad = Image.new("L", image.size, 255)
    return imaging.from_bgrx(image.size, bytearray(Image.merge("RGBA", (blue, green, red, pad)).tobytes()))


def _decoded(data: bytes) -> bytes:
    return Image.open(io.BytesIO(data)).convert("RGB").tobytes()


def test_bgr_view_stores_the_same_pixels_as_rgb():
    rgb = _colourful()
    bgr = _as_bgrx(rgb)
    assert imaging.to_rgb(bgr).tobytes() == rgb.tobytes()
    from_rgb, from_bgr = imaging.encode_screen(rgb), imaging.encode_screen(bgr)
    assert from_bgr.mime == from_rgb.mime == "image/png"
    assert _decoded(from_bgr.data) == _decoded(from_rgb.data)
    assert (from_bgr.width, from_bgr.height) == rgb.size
    # the thumbnail is in the right colours too (JPEG: compare its average colour)
    t_rgb = Image.open(io.BytesIO(from_rgb.thumbnail)).convert("RGB").resize((1, 1), Image.Resampling.BOX)
    t_bgr = Image.open(io.BytesIO(from_bgr.thumbnail)).convert("RGB").resize((1, 1), Image.Resampling.BOX)
    assert all(abs(a - b) <= 2 for a, b in zip(t_rgb.getpixel((0, 0)), t_bgr.getpixel((0, 0)), strict=True))


def test_photo_like_bgr_screen_falls_back_to_jpeg_in_true_colours():
    rng = random.Random(7)
    size = (800, 600)
    rgb = Image.frombytes("RGB", size, bytes(rng.randrange(256) for _ in range(size[0] * size[1] * 3)))
    rgb.paste((255, 0, 0), (0, 0, 200, 200))  # a pure red block, to see that red stays red
    encoded = imaging.encode_screen(_as_bgrx(rgb))
    assert encoded.mime == "image/jpeg"
    stored = Image.open(io.BytesIO(encoded.data)).convert("RGB")
    r, g, b = stored.crop((50, 50, 150, 150)).resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    assert r > 200 and g < 40 and b < 40


def test_thumbnail_of_a_full_hd_screen_is_320x180_rgb():
    rgb = _colourful((1920, 1080))
    thumb = imaging.thumbnail_of(_as_bgrx(rgb))
    assert thumb.mode == "RGB" and thumb.size == (320, 180)
    reference = rgb.reduce(6)
    diff = [abs(a - b) for a, b in zip(thumb.tobytes(), reference.tobytes(), strict=True)]
    assert sum(diff) / len(diff) < 12  # the same picture; sampling differs a little


def test_blank_bgr_grab_is_blank_and_a_dark_one_is_not():
    black = _as_bgrx(Image.new("RGB", (256, 128), (0, 0, 0)))
    assert imaging.is_blank(black)  # the padding byte (255) is not a colour
    dark = Image.new("RGB", (256, 128), (0, 0, 0))
    dark.paste((0, 0, 9), (96, 96, 112, 112))  # a block, so the reduced view still shows it
    assert not imaging.is_blank(_as_bgrx(dark))


def test_the_png_written_here_holds_the_palette_image_pillow_would_store():
    """The screen PNG is written by imaging itself (for a faster deflate); any PNG reader
    must get exactly the pixels of the web-palette image, through zlib-ng and through zlib."""
    rgb = _colourful((1024, 600))
    expected = rgb.convert("P", palette=Image.Palette.WEB, dither=Image.Dither.NONE).convert("RGB").tobytes()
    encoded = imaging.encode_screen(_as_bgrx(rgb))
    stored = Image.open(io.BytesIO(encoded.data))
    assert stored.format == "PNG" and stored.mode == "P" and stored.size == (1024, 600)
    stored.verify()  # what the diary server checks
    assert _decoded(encoded.data) == expected
    # The stdlib fallback writes a stream that decodes to the same pixels.
    import zlib

    rows = Image.new("P", (1025, 600), 0)
    rows.paste(imaging._palette_image(rgb), (1, 0))
    assert zlib.decompress(imaging._deflate_rle()(rows.tobytes())) == rows.tobytes()


def test_thumbnail_of_the_stored_palette_image_matches_the_screen():
    rgb = _colourful((1920, 1080))
    encoded = imaging.encode_screen(_as_bgrx(rgb))
    thumb = Image.open(io.BytesIO(encoded.thumbnail)).convert("RGB")
    assert thumb.size == (320, 180)
    reference = Image.open(io.BytesIO(encoded.data)).convert("RGB").reduce(6)  # what is stored, small
    diff = [abs(a - b) for a, b in zip(thumb.tobytes(), reference.tobytes(), strict=True)]
    assert sum(diff) / len(diff) < 12  # the same picture; sampling differs a little
