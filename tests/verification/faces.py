"""The test photos (public domain, tests/verification/data/README.md) and cases made from them."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

DATA = Path(__file__).parent / "data"


def photo(name: str) -> bytes:
    return (DATA / f"{name}.jpg").read_bytes()


def jpeg(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.convert("RGB").save(out, format="JPEG", quality=90)
    return out.getvalue()


def tiny_face(name: str = "obama2", height: int = 200) -> bytes:
    """The photo scaled down so the face is ~45 px, pasted on a plain 640x480 background: a
    face the detector still finds but too small to describe reliably."""
    with Image.open(DATA / f"{name}.jpg") as img:
        small = img.convert("RGB").resize((img.width * height // img.height, height))
    canvas = Image.new("RGB", (640, 480), (128, 128, 128))
    canvas.paste(small, (200, 120))
    return jpeg(canvas)


def no_face() -> bytes:
    """A wall: a grey gradient with no face in it."""
    img = Image.linear_gradient("L").resize((480, 640))
    return jpeg(img)
