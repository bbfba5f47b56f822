"""Reissue a user's hard token by post (CRED-1, CRED-5): after a loss (the policy's reissue
fee), at expiry or for a defect (free). One operator asks, a second approves; the new token is
bound to the user, the old one ends, and the parcel is queued for the mail room.

The back office's own ``auth.reissue_token_*`` actions hand the token over the counter; these
mail it, so that every token that leaves the bank by post is a tracked shipment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kinko.auth import repository as auth_repo
from kinko.auth.models import TokenIssueReason, TokenKind, TokenState
from kinko.auth.tokens import FeeAccounts
from kinko.auth.users import get_user
from kinko.backoffice.actions import ActionSpec, register_action
from kinko.backoffice.models import OperatorRole
from kinko.errors import ValidationFailed
from kinko.ledger.books import book
from kinko.ledger.models import Account, AccountType
from kinko.onboarding import mail

REISSUE_ACTION = "token.reissue_by_post"
REASONS = {"lost": TokenIssueReason.LOST, "expiry": TokenIssueReason.EXPIRY,
           "defect": TokenIssueReason.DEFECT}


def _check(payload: Mapping[str, Any]) -> None:
    if "user_id" not in payload or payload.get("reason") not in REASONS:
        raise ValidationFailed(detail="payload needs: user_id, reason (lost, expiry, defect)",
                               fields=["reason"])


def reissue_by_post(session: Session, payload: Mapping[str, Any], *, actor: str,
                    request_id: int) -> str:
    user = get_user(session, int(payload["user_id"]))
    old = [t for t in auth_repo.tokens_of_user(
        session, user.id, (TokenState.ACTIVE, TokenState.STOPPED, TokenState.EXPIRED))
        if t.kind is TokenKind.HARD]
    if not old:
        raise ValidationFailed(detail="the user has no hard token to replace")
    contract = auth_repo.contract(session, user.contract_id)
    assert contract is not None
    paying = contract.representative_account_id or session.execute(
        select(Account.id).where(Account.customer_id == user.customer_id,
                                 Account.type == AccountType.ORDINARY)
        .order_by(Account.id).limit(1)).scalar_one_or_none()
    # Activating the new token ends an active old one (a lost one is stopped already).
    parcel = mail.lend_token_by_post(
        session, contract_id=user.contract_id, user_id=user.id,
        reason=REASONS[str(payload["reason"])], replaces_serial=old[-1].serial, activate=True,
        fee_accounts=FeeAccounts(book(session, "fee_income"), paying), actor=actor)
    return f"{parcel.reference} (shipment {parcel.id}, request {request_id})"


register_action(REISSUE_ACTION, ActionSpec(
    reissue_by_post, frozenset({OperatorRole.TELLER, OperatorRole.SECURITY}),
    frozenset({OperatorRole.SECURITY}), _check, summary=lambda out: out))
