"""The outbox and the due-work runner (DESIGN rules 4 and 5)."""
