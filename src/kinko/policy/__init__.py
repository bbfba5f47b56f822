"""Versioned bank policy (POL-1, SPEC §13)."""
