"""Compensation for unauthorized transfers (補てん, SPEC §8 CLM-1..10).

``case`` is the public case document (JSON Schema in ``case.schema.json`` and docs/claims.md),
``profiles`` the product profiles built from the seeds and the policy, ``rules`` the pure
decision engine that explains itself; the workflow, evidence and payment live in the service
modules above them.
"""
