"""Placeholder images for a provider entity that has none yet (the demo, the benchmark and
tests): a round company stamp, a signature flourish and a block logo, drawn with Pillow so no
binary files live in the repository."""

from __future__ import annotations

import io
import math

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
BLUE = (31, 64, 160, 230)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(FONT, size)
    except OSError:  # pragma: no cover - DejaVu is on every machine Hostkeep targets
        return ImageFont.load_default()


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def draw_stamp(name: str, code: str) -> bytes:
    """A round blue company stamp with the name around the rim and the code in the middle."""
    size = 400
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, size - 8, size - 8), outline=BLUE, width=10)
    draw.ellipse((70, 70, size - 70, size - 70), outline=BLUE, width=5)
    font = _font(26)
    text = f" {name.upper()} * "
    for index, letter in enumerate(text):
        angle = 2 * math.pi * index / len(text) - math.pi / 2
        x = size / 2 + 162 * math.cos(angle)
        y = size / 2 + 162 * math.sin(angle)
        glyph = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((20, 20), letter, font=font, fill=BLUE, anchor="mm")
        rotated = glyph.rotate(-math.degrees(angle) - 90, resample=Image.Resampling.BICUBIC)
        image.alpha_composite(rotated, (int(x - 20), int(y - 20)))
    draw.text((size / 2, size / 2), code.upper(), font=_font(64), fill=BLUE, anchor="mm")
    return _png(image)


def draw_signature() -> bytes:
    """A handwritten-looking flourish in dark blue ink on a transparent background."""
    width, height = 480, 160
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    points = [
        (20 + t * 4.4, 90 - 45 * math.sin(t / 7) * math.exp(-t / 140) - 12 * math.sin(t / 2.3)) for t in range(100)
    ]
    draw.line(points, fill=(20, 30, 90, 255), width=5, joint="curve")
    draw.line([(60, 120), (420, 105)], fill=(20, 30, 90, 255), width=3)
    return _png(image)


def draw_logo(label: str) -> bytes:
    """A simple block logo: a green square 'block' and the provider's short name."""
    image = Image.new("RGBA", (520, 140), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 130, 130), fill=(76, 140, 60, 255))
    draw.rectangle((10, 10, 130, 50), fill=(120, 85, 50, 255))
    draw.text((150, 70), label, font=_font(54), fill=(30, 30, 30, 255), anchor="lm")
    return _png(image)
