"""The outbox (DESIGN rule 4): work written in the caller's transaction, done after it commits.

Part of the foundation, next to ``db`` and ``audit``: a domain enqueues work and registers the
handler of its topics here, and imports nothing above it. The runner that claims due rows and
calls the handlers is ``kinko.batch``, a layer above the domains (docs/architecture.md).
"""
