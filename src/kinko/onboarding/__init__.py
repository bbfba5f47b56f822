"""Onboarding (PRD-1, PRD-3, AUTH-7), credentials by post (CRED-1, CRED-4, CRED-5) and the
operator's account and service states (LED-4, SUSP-1, CTR-2)."""
