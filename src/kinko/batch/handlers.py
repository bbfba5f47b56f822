"""Import every module that registers outbox handlers, so the runner knows all topics."""

from __future__ import annotations


def load_handlers() -> None:
    import kinko.auth.notices
    import kinko.bulk.service
    import kinko.claims.notices
    import kinko.clearing.handlers
    import kinko.corporate_portal.transfer_approvals
    import kinko.corporate_services.debits
    import kinko.corporate_services.notices
    import kinko.deposits.service
    import kinko.ledger.scheduled
    import kinko.notifications.handlers
    import kinko.payeasy.notices
    import kinko.transfers.service
    import kinko.verification.review
    import kinko.verification.service  # noqa: F401
