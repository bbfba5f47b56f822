"""Clearing: Kinko's interbank adapter and the simulated network of other banks (XFER-8, 9).

Public API: :mod:`kinko.clearing.service` (send, receive, look up, validate, list) and
:mod:`kinko.clearing.network` (the simulated other banks: seeding, injecting transfers).
"""
