"""Append-only, hash-chained audit log (LED-5)."""
