"""The ledger: accounts, balanced journal entries, holds. ``post()`` is the only way money moves."""
