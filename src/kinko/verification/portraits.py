"""The public-domain portraits shipped for the demo bank and the face benchmark."""

from __future__ import annotations

from importlib.resources import files

NAMES = ("obama", "obama2", "biden")


def portrait(name: str) -> bytes:
    if name not in NAMES:
        raise KeyError(name)
    return (files("kinko.verification") / "data" / "portraits" / f"{name}.jpg").read_bytes()
