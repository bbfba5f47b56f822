"""Decoding photos into RGB pixel arrays for the matcher, with bounds on what is accepted."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError

from kinko.verification.errors import UnreadableImage

MAX_IMAGE_BYTES = 8 * 1024 * 1024
# Phone cameras take 12 Mpx pictures; faces are found and described as well at this size and
# ten times faster, so larger images are scaled down before detection.
WORK_SIDE_PX = 640
# Decompression bombs: refuse images that would decode to more pixels than this.
MAX_PIXELS = 50_000_000

RGBImage = NDArray[np.uint8]


def decode(data: bytes) -> RGBImage:
    """The photo's pixels (RGB, upright per its EXIF orientation, at most WORK_SIDE_PX a side)."""
    if not data or len(data) > MAX_IMAGE_BYTES:
        raise UnreadableImage(f"size {len(data)} bytes")
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > MAX_PIXELS:
                raise UnreadableImage(f"{img.width}x{img.height} pixels")
            upright = ImageOps.exif_transpose(img).convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise UnreadableImage(type(exc).__name__) from exc
    upright.thumbnail((WORK_SIDE_PX, WORK_SIDE_PX))
    return np.asarray(upright, dtype=np.uint8)


def read(path: Path) -> RGBImage:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableImage(f"{path}: {exc.strerror}") from exc
    return decode(data)


def to_jpeg(image: RGBImage, quality: int = 85) -> bytes:
    out = io.BytesIO()
    Image.fromarray(image).save(out, format="JPEG", quality=quality)
    return out.getvalue()
