"""Zengin fixed-length formats (ZEN-1, ZEN-2)."""
