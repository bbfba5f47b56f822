"""Idempotency keys for every create request (INS-3, DESIGN rule 3)."""
