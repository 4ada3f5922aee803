"""Draw the PNG icons from the same shapes as icon.svg (run once; the PNGs are committed).

ImageMagick on the build machines has no SVG delegate, so the PNGs are drawn with Pillow.
Usage: python -m ui.make_icons
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw


def draw(size: int) -> Image.Image:
    scale = 4  # draw large, then shrink: smooth edges without an anti-aliasing API
    s = size * scale / 64
    img = Image.new("RGBA", (size * scale, size * scale), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle([0, 0, 64 * s - 1, 64 * s - 1], radius=14 * s, fill="#0f766e")
    d.ellipse([13 * s, 15 * s, 51 * s, 53 * s], outline="#ffffff", width=round(5 * s))
    d.rounded_rectangle([27 * s, 7 * s, 37 * s, 13 * s], radius=2 * s, fill="#ffffff")
    w = round(5 * s)
    d.line([(32 * s, 22 * s), (32 * s, 34 * s), (40 * s, 40 * s)], fill="#fbbf24", width=w, joint="curve")
    for x, y in ((32, 22), (40, 40)):
        d.ellipse([x * s - w / 2, y * s - w / 2, x * s + w / 2, y * s + w / 2], fill="#fbbf24")
    return img.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    out = Path(__file__).resolve().parent / "static"
    draw(256).save(out / "icon-256.png")
    draw(32).save(out / "favicon-32.png")


if __name__ == "__main__":
    main()
