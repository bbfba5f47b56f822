"""`kinko demo` and `kinko serve`."""

from __future__ import annotations


def demo() -> None:
    """Create the demo bank and serve it."""


def serve() -> None:
    """Serve an existing database."""
