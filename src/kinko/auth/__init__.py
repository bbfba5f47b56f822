"""Authentication: credentials, factors, lockout, sessions, step-up, devices (SPEC §2, §3)."""
