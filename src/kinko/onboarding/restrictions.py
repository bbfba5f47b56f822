"""The bank's restrictions of a customer (SUSP-1, KYC-4, CTR-2): one service for every
restriction, whoever sets it, and the one check every fund movement runs.

- The bank's restriction of an internet banking contract (an authority's request, an AML
  concern, …): the contract and its users are suspended at once with the reason and their
  sessions end; lifting it needs a second operator (four eyes). While it stands, the
  customer's fund movements are refused too, whatever starts them (a scheduled transfer
  run by the batch as much as a page), so the restriction is never weaker than the login's.
- Holds that other domains keep on a customer (periodic verification by face, KYC-4) are
  registered here with :func:`hold`: each is a check, and the same question as SQL.

:func:`refusal` answers for all of them; it is what :mod:`kinko.parties.restrictions` (the
adapter that :func:`kinko.parties.residency.check_allowed` calls) runs. The account states
of the ledger (payment stop, seizure, …) stay with the accounts (:mod:`.states`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, exists, false, or_, select
from sqlalchemy.orm import Session, aliased

from kinko import catalogue, clock
from kinko.audit.service import record
from kinko.auth import repository as auth_repo
from kinko.auth.models import AuthContract, ContractState, UserState
from kinko.backoffice.actions import ActionSpec, register_action
from kinko.backoffice.models import OperatorRole
from kinko.errors import DomainError, ValidationFailed
from kinko.onboarding import rules
from kinko.onboarding.errors import AccountStateRefused, ServiceRestricted
from kinko.onboarding.states import reason_text
from kinko.parties.restrictions import Check, CustomerId, Flag, flag_changed, serve

BANK = "bank:"   # the prefix of a contract's state reason when the bank restricted it

_holds: dict[str, tuple[Check, Flag]] = {}


def hold(name: str, check: Check, *, flag: Flag) -> None:
    """Register a domain's hold on customers; ``flag`` must be true for every customer
    ``check`` may refuse (for any function)."""
    _holds[name] = (check, flag)
    flag_changed()   # statements built with the flag before this hold are built anew


def _bank_flag(customer_id: CustomerId | int) -> ColumnElement[bool]:
    # An alias: selected beside the request's own contract (the authentication's query), the
    # subquery must still look at every contract of the customer, not correlate to that one.
    contract = aliased(AuthContract)
    return exists().where(contract.customer_id == customer_id,
                          contract.state == ContractState.SUSPENDED,
                          contract.state_reason.startswith(BANK))


def flag(customer_id: CustomerId | int) -> ColumnElement[bool]:
    """True where any restriction may refuse the customer."""
    return or_(false(), _bank_flag(customer_id),
               *(f(customer_id) for _, f in _holds.values()))


def refusal(session: Session, customer_id: int, function: str) -> DomainError | None:
    """The error refusing ``function`` to the customer, or None. One statement for a
    customer nothing restricts (the common case); the checks name the refusal otherwise."""
    if not session.execute(select(flag(customer_id))).scalar_one():
        return None
    if session.execute(select(_bank_flag(customer_id))).scalar_one():
        return ServiceRestricted(detail=function)
    for check, _ in _holds.values():
        if (error := check(session, customer_id, function)) is not None:
            return error
    return None


serve(refusal, flag=flag)


def restrict_service(session: Session, *, contract_id: int, reason: str, note: str,
                     actor: str) -> None:
    """Stop a contract's internet banking at once, with the bank's reason (SUSP-1, CTR-2)."""
    if reason not in rules.RESTRICTION_REASONS:
        raise ValidationFailed(detail="unknown reason: " + ", ".join(rules.RESTRICTION_REASONS),
                               fields=["reason"])
    text = reason_text(note)
    contract = auth_repo.contract(session, contract_id)
    if contract is None:
        raise ValidationFailed(detail=f"no contract {contract_id}", fields=["contract_id"])
    if contract.state is not ContractState.ACTIVE:
        raise AccountStateRefused(detail=f"the contract is {contract.state.value}")
    now = clock.now()
    contract.state = ContractState.SUSPENDED
    contract.state_reason = f"{BANK}{reason}"
    contract.state_changed_at = now
    for user in auth_repo.users_of_contract(session, contract_id):
        auth_repo.set_user_state(session, user.id, UserState.SUSPENDED, reason=f"{BANK}{reason}",
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
            contract.state_reason or "").startswith(BANK):
        raise AccountStateRefused(detail="the contract is not restricted by the bank")
    contract.state = ContractState.ACTIVE
    contract.state_reason = None
    contract.state_changed_at = clock.now()
    resumed = [u.id for u in auth_repo.users_of_contract(session, contract.id)
               if auth_repo.set_user_state(session, u.id, UserState.ACTIVE, reason=None,
                                           from_states=(UserState.SUSPENDED,))]
    session.flush()   # the refusal's flag reads the contract: it must see it lifted
    record(session, actor=actor, action="contract.restriction_lifted",
           subject_type="auth_contract", subject_id=contract.id,
           data={"request_id": request_id, "users": resumed})
    return resumed


def restriction_text(state_reason: str | None, lang: str) -> str | None:
    """What the customer is told about a bank restriction (never the operator's note)."""
    if not state_reason or not state_reason.startswith(BANK):
        return None
    key = state_reason[len(BANK):]
    key = key if key in rules.RESTRICTION_REASONS else "bank"
    ja = rules.RESTRICTION_REASONS.get(key, "当行の判断")
    words = catalogue.tr(lang, ja, f"restriction_reason.{key}")
    sentence = catalogue.tr(
        lang, "{reason}により、当行がご利用を制限しています。お取引店にお問い合わせください。",
        "restriction")
    return sentence.format(reason=words)


_STAFF = frozenset({OperatorRole.TELLER, OperatorRole.SECURITY})
_SECURITY = frozenset({OperatorRole.SECURITY})
LIFT_RESTRICTION_ACTION = "contract.lift_restriction"


def _check_contract_payload(payload: Mapping[str, Any]) -> None:
    if "contract_id" not in payload:
        raise ValidationFailed(detail="payload needs: contract_id")


register_action(LIFT_RESTRICTION_ACTION, ActionSpec(
    lift_restriction, _STAFF, _SECURITY, _check_contract_payload,
    summary=lambda users: {"users": users}))
