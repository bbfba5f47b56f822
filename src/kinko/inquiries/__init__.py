"""Inquiries (INQ-1): balances, deposits/withdrawals statements, incoming transfers."""
