"""The two-step instruction lifecycle shared by every service (INS-1..3)."""
