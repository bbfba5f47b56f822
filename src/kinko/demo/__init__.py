"""The demo bank."""
