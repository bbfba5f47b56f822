"""Account states set by the bank (LED-4, SUSP-1, CRED-6).

- A payment stop (支払停止, e.g. a lost cash card or passbook) and a deposit stop take effect
  at once on one operator's word: they protect the customer and must not wait.
- A seizure (差押), a closure (解約) and every release freeze or release money: one operator
  asks, a second approves (OPS-1), through the four-eyes actions registered below.
- The internet services follow the account at once: a fund movement from an account that is
  not usable is refused by the ledger's state check with the account's state, and the
  customer's pages show why; it works again the moment the account is usable (SUSP-1).
- A bank-initiated restriction of the whole internet banking contract is the one restriction
  service's (:mod:`kinko.onboarding.restrictions`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from kinko import clock
from kinko.backoffice.actions import ActionSpec, register_action
from kinko.backoffice.models import OperatorRole
from kinko.errors import ValidationFailed
from kinko.ledger.models import AccountState
from kinko.ledger.service import change_state, get_account
from kinko.onboarding import rules
from kinko.onboarding.errors import AccountStateRefused, OnboardingRefused

STATE_LABELS: dict[AccountState, tuple[str, str]] = {
    AccountState.ACTIVE: ("ご利用いただけます", "usable"),
    AccountState.PAYMENT_STOPPED: ("支払停止中（お引出し・お振込はできません）",
                                   "payments stopped (no withdrawals or transfers)"),
    AccountState.DEPOSIT_STOPPED: ("入金停止中（ご入金はできません）",
                                   "deposits stopped (no money can come in)"),
    AccountState.SEIZED: ("差押えにより支払停止中", "seized: no payments"),
    AccountState.CLOSED: ("解約済み", "closed"),
}


def reason_text(reason: str) -> str:
    """The operator's reason for a change, 1–200 characters."""
    text = reason.strip()
    if not 1 <= len(text) <= 200:
        raise OnboardingRefused(detail="a reason of 1–200 characters is required",
                                fields=["reason"])
    return text


def _target(value: str) -> AccountState:
    try:
        return AccountState(value)
    except ValueError as exc:
        raise ValidationFailed(detail="unknown account state", fields=["state"]) from exc


def set_account_state(session: Session, *, account_id: int, state: str, reason: str,
                      actor: str, approved: bool = False) -> AccountState:
    """Move an account to ``state``; without ``approved`` only the moves one operator may
    make (a payment or deposit stop). Returns the state it was in."""
    text = reason_text(reason)
    target = _target(state)
    account = get_account(session, account_id)
    if account.customer_id is None:
        raise AccountStateRefused(detail="the bank's own books are not changed here")
    was = account.state
    rules.check_account_move(was, target, balance=account.balance, held=account.held)
    if rules.needs_four_eyes(was, target) and not approved:
        raise AccountStateRefused(detail="this change needs a second operator's approval")
    change_state(session, account_id, target, actor=actor, reason=text)
    if target is AccountState.CLOSED:
        session.refresh(account)
        account.closed_on = clock.today()
        session.flush()
    return was


def ask_needed(session: Session, *, account_id: int, state: str) -> bool:
    """Whether moving this account to ``state`` goes through a four-eyes request."""
    account = get_account(session, account_id)
    return rules.needs_four_eyes(account.state, _target(state))


def change_or_ask(session: Session, *, account_id: int, state: str, reason: str,
                  operator_id: int) -> int | None:
    """Make the change now where one operator may, else check it and ask for approval:
    returns the approval request's id, or None when the change is made."""
    from kinko.backoffice.approvals import request
    from kinko.backoffice.operators import actor_of

    text = reason_text(reason)
    target = _target(state)
    account = get_account(session, account_id)
    if account.customer_id is None:
        raise AccountStateRefused(detail="the bank's own books are not changed here")
    rules.check_account_move(account.state, target, balance=account.balance, held=account.held)
    if not rules.needs_four_eyes(account.state, target):
        set_account_state(session, account_id=account_id, state=state, reason=text,
                          actor=actor_of(operator_id))
        return None
    row = request(session, action=ACCOUNT_STATE_ACTION, subject_type="account",
                  subject_id=account_id,
                  payload={"account_id": account_id, "state": target.value, "reason": text},
                  reason=text, requested_by=operator_id)
    return row.id


def _approved_state(session: Session, payload: Mapping[str, Any], *, actor: str,
                    request_id: int) -> str:
    was = set_account_state(session, account_id=int(payload["account_id"]),
                            state=str(payload["state"]),
                            reason=f"{payload.get('reason', '')} (request {request_id})"[:200],
                            actor=actor, approved=True)
    return f"{was.value} → {payload['state']}"


def _check_state_payload(payload: Mapping[str, Any]) -> None:
    if "account_id" not in payload or "state" not in payload:
        raise ValidationFailed(detail="payload needs: account_id, state")
    _target(str(payload["state"]))


_STAFF = frozenset({OperatorRole.TELLER, OperatorRole.SECURITY})
_SECURITY = frozenset({OperatorRole.SECURITY})

ACCOUNT_STATE_ACTION = "ledger.account_state"
register_action(ACCOUNT_STATE_ACTION, ActionSpec(
    _approved_state, _STAFF, _SECURITY, _check_state_payload, summary=lambda out: out))

