"""The due-work runner (DESIGN rule 5), a layer above the domains whose handlers it loads.

The outbox itself (enqueue, the handler registry, the table) is ``kinko.outbox``.
"""
