"""The test photos (public domain, tests/verification/data/README.md) and cases made from them."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
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


def _pivot(img: Image.Image) -> int:
    from kinko.verification.dlib_matcher import pose_of

    pose = pose_of(jpeg(img))
    assert pose is not None
    return round(pose.nose[0])


def turned(name: str, k: float) -> bytes:
    """The photo with the head "turned": the columns left of the nose squeezed (k < 1) or
    stretched (k > 1) and those right of it the other way, so the nose leaves the middle of
    the eyes as it does when a head turns (yaw ≈ (k - 1) / 2)."""
    with Image.open(DATA / f"{name}.jpg") as img:
        rgb = img.convert("RGB")
    pivot = _pivot(rgb)
    src = np.asarray(rgb)
    xs = np.arange(src.shape[1], dtype=np.float64)
    left = pivot + (xs - pivot) / k
    right = pivot + (xs - pivot) / (2 - k)
    cols = np.clip(np.where(xs < pivot, left, right).round().astype(int), 0, src.shape[1] - 1)
    return jpeg(Image.fromarray(src[:, cols]))


def shifted(name: str, dx: int, scale: float = 1.0) -> bytes:
    """The photo moved sideways and scaled as a whole: a printed photo held to the camera."""
    with Image.open(DATA / f"{name}.jpg") as img:
        rgb = img.convert("RGB")
    moved = rgb.resize((round(rgb.width * scale), round(rgb.height * scale)))
    canvas = Image.new("RGB", (rgb.width + 80, rgb.height + 40), (90, 90, 90))
    canvas.paste(moved, (40 + dx, 20))
    return jpeg(canvas)
