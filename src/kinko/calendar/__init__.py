"""Bank calendar (CAL-1, CAL-2)."""
