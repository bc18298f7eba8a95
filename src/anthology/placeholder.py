"""What a draft build shows for an image file that is missing: a grey frame naming the file.

A missing image is an error, so a release never carries one; `build --draft` makes it a
warning and lays the book out with this in its place, so a proof can be read before the
pictures arrive. It is a PNG in a `data:` URL: no file is added to the manuscript.
"""

from __future__ import annotations

import base64
import io
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

DATA_URL = "data:image/png;base64,"
MISSING_IMAGE = "missing-image"  # the code of the error a draft build makes a warning


@lru_cache(maxsize=64)
def placeholder(name: str) -> str:
    """A 3:2 grey frame saying which file is missing, as a data: URL."""
    image = Image.new("L", (600, 400), 235)
    draw = ImageDraw.Draw(image)
    draw.rectangle((4, 4, 595, 395), outline=120, width=6)
    draw.line((4, 4, 595, 395), fill=180, width=3)
    draw.line((4, 395, 595, 4), fill=180, width=3)
    text = f"missing image: {name}"
    draw.rectangle((20, 180, 580, 220), fill=235)
    font = ImageFont.load_default(size=22)  # Pillow's own face: nothing is looked up on the system
    draw.text((300, 200), text if len(text) <= 48 else text[:47] + "…", fill=40, anchor="mm", font=font)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return DATA_URL + base64.b64encode(out.getvalue()).decode("ascii")


def is_placeholder(src: str) -> bool:
    return src.startswith(DATA_URL)
