"""Account states and service restrictions set by the bank (LED-4, SUSP-1, CRED-6, CTR-2).

- A payment stop (支払停止, e.g. a lost cash card or passbook) and a deposit stop take effect
  at once on one operator's word: they protect the customer and must not wait.
- A seizure (差押), a closure (解約) and every release freeze or release money: one operator
  asks, a second approves (OPS-1), through the four-eyes actions registered below.
- The internet services follow the account at once: a fund movement from an account that is
  not usable is refused by the ledger's state check with the account's state, and the
  customer's pages show why; it works again the moment the account is usable (SUSP-1).
- A bank-initiated restriction (an authority's request, an AML concern, …) suspends the
  whole internet banking contract with its reason and ends its sessions; lifting it needs
  four eyes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.service import record
from kinko.auth import repository as auth_repo
from kinko.auth.models import ContractState, UserState
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


def _reason(reason: str) -> str:
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
    text = _reason(reason)
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

    text = _reason(reason)
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


# --- the bank's restriction of the internet service ----------------------------------------


def restrict_service(session: Session, *, contract_id: int, reason: str, note: str,
                     actor: str) -> None:
    """Stop a contract's internet banking at once, with the bank's reason (SUSP-1, CTR-2)."""
    if reason not in rules.RESTRICTION_REASONS:
        raise ValidationFailed(detail="unknown reason: " + ", ".join(rules.RESTRICTION_REASONS),
                               fields=["reason"])
    text = _reason(note)
    contract = auth_repo.contract(session, contract_id)
    if contract is None:
        raise ValidationFailed(detail=f"no contract {contract_id}", fields=["contract_id"])
    if contract.state is not ContractState.ACTIVE:
        raise AccountStateRefused(detail=f"the contract is {contract.state.value}")
    now = clock.now()
    contract.state = ContractState.SUSPENDED
    contract.state_reason = f"bank:{reason}"
    contract.state_changed_at = now
    for user in auth_repo.users_of_contract(session, contract_id):
        auth_repo.set_user_state(session, user.id, UserState.SUSPENDED, reason=f"bank:{reason}",
                                 from_states=(UserState.ACTIVE, UserState.LOCKED))
        auth_repo.end_sessions(session, user.id, now, "bank_restriction")
    session.flush()
    record(session, actor=actor, action="contract.restricted", subject_type="auth_contract",
           subject_id=contract_id, data={"reason": reason, "note": text})


def lift_restriction(session: Session, payload: Mapping[str, Any], *, actor: str,
                     request_id: int) -> list[int]:
    """Resume a contract the bank restricted (four eyes); returns the users resumed."""
    contract = auth_repo.contract(session, int(payload["contract_id"]))
    if contract is None or contract.state is not ContractState.SUSPENDED or not (
            contract.state_reason or "").startswith("bank:"):
        raise AccountStateRefused(detail="the contract is not restricted by the bank")
    contract.state = ContractState.ACTIVE
    contract.state_reason = None
    contract.state_changed_at = clock.now()
    resumed = [u.id for u in auth_repo.users_of_contract(session, contract.id)
               if auth_repo.set_user_state(session, u.id, UserState.ACTIVE, reason=None,
                                           from_states=(UserState.SUSPENDED,))]
    record(session, actor=actor, action="contract.restriction_lifted",
           subject_type="auth_contract", subject_id=contract.id,
           data={"request_id": request_id, "users": resumed})
    return resumed


def restriction_text(state_reason: str | None, lang: str) -> str | None:
    """What the customer is told about a bank restriction (never the operator's note)."""
    if not state_reason or not state_reason.startswith("bank:"):
        return None
    ja, en = rules.RESTRICTION_REASONS.get(state_reason[5:], ("当行の判断", "the bank's decision"))
    return (f"{ja}により、当行がご利用を制限しています。お取引店にお問い合わせください。"
            if lang == "ja" else f"The bank has restricted the service ({en}). "
                                 "Please contact your branch.")


_STAFF = frozenset({OperatorRole.TELLER, OperatorRole.SECURITY})
_SECURITY = frozenset({OperatorRole.SECURITY})

ACCOUNT_STATE_ACTION = "ledger.account_state"
LIFT_RESTRICTION_ACTION = "contract.lift_restriction"
register_action(ACCOUNT_STATE_ACTION, ActionSpec(
    _approved_state, _STAFF, _SECURITY, _check_state_payload, summary=lambda out: out))


def _check_contract_payload(payload: Mapping[str, Any]) -> None:
    if "contract_id" not in payload:
        raise ValidationFailed(detail="payload needs: contract_id")


register_action(LIFT_RESTRICTION_ACTION, ActionSpec(
    lift_restriction, _STAFF, _SECURITY, _check_contract_payload,
    summary=lambda users: {"users": users}))
