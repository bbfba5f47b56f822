"""Use cases of the business net's contract and users (PRD-3, PRD-4, CRED-2).

The master user and admin users manage the contract: they create and suspend users and set
each general user's services, limits and accounts. Every change is audited. Functions take a
session and never commit (one transaction per use case at the boundary).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.service import record
from kinko.auth import enrolment
from kinko.auth import repository as auth_repo
from kinko.auth.effects import notify
from kinko.auth.models import AuthContract, AuthUser, Course, UserRole, UserState
from kinko.auth.sessions import end_all
from kinko.corporate import entitlements, rules
from kinko.corporate.errors import ManagerOnly, UsageAccountRefused, UserNotFound
from kinko.corporate.models import CorporateSettings, UsageAccount, UserAccount, UserGrant
from kinko.corporate.rules import Service
from kinko.errors import ValidationFailed
from kinko.instructions.service import Actor
from kinko.ledger.models import Account, AccountType

APPROVAL_MODES = ("none", "single", "double")
APPROVAL_KINDS = ("bulk", "payroll", "transfer")


@dataclass(frozen=True)
class UserView:
    id: int
    login_id: str | None
    role: str
    display_name: str
    email: str | None
    state: str
    services: str
    per_transaction_limit: int | None
    daily_limit: int | None
    account_ids: list[int]
    has_token: bool


def _contract(session: Session, actor: Actor) -> AuthContract:
    contract = session.get(AuthContract, actor.contract_id)
    if contract is None or not entitlements.is_corporate(contract):
        raise ManagerOnly(detail="not a corporate contract")
    return contract


def require_manager(session: Session, actor: Actor) -> AuthContract:
    """The contract, if the actor is its master or an admin user (PRD-4)."""
    contract = _contract(session, actor)
    if not entitlements.is_manager(session, actor):
        raise ManagerOnly()
    return contract


def settings_of(session: Session, contract_id: int) -> CorporateSettings:
    row = session.get(CorporateSettings, contract_id)
    if row is None:
        row = CorporateSettings(contract_id=contract_id, densai_applied=False, fx_applied=False,
                                approval_bulk="single", approval_payroll="single",
                                updated_at=clock.now())
        session.add(row)
        session.flush()
    return row


# --- the contract: usage accounts and applications (bank side) ----------------------------

def register_usage_account(session: Session, *, contract_id: int, account_id: int,
                           actor: str) -> None:
    """Register a usage account (利用口座): only the contractor's own account at this bank
    (002 第1条4(2)), ordinary or checking."""
    contract = session.get(AuthContract, contract_id)
    account = session.get(Account, account_id)
    if contract is None or account is None or account.customer_id != contract.customer_id:
        raise UsageAccountRefused(detail="not the contractor's own account")
    if account.type not in (AccountType.ORDINARY, AccountType.CHECKING):
        raise UsageAccountRefused(detail=f"{account.type.value} cannot be a usage account")
    if account_id in entitlements.usage_account_ids(session, contract):
        return
    session.add(UsageAccount(contract_id=contract_id, account_id=account_id,
                             added_at=clock.now()))
    session.flush()
    record(session, actor=actor, action="corporate.usage_account_added",
           subject_type="contract", subject_id=contract_id, data={"account": account_id})


def check_course_accounts(session: Session, contract: AuthContract) -> None:
    """PRD-3: the Light course needs an ordinary account among the usage accounts."""
    if contract.course is not Course.LIGHT:
        return
    ids = entitlements.usage_account_ids(session, contract)
    types = {a.type for a in session.execute(select(Account).where(Account.id.in_(ids))).scalars()}
    if AccountType.ORDINARY not in types:
        raise UsageAccountRefused(detail="the Light course needs an ordinary account")


def apply_for(session: Session, *, contract_id: int, service: Service, actor: str) -> None:
    """Record the written application that densai (F) or FX (G) needs inside the course."""
    if service not in rules.BY_APPLICATION:
        raise ValidationFailed(detail="only densai (F) and FX (G) are applied for")
    row = settings_of(session, contract_id)
    if service is Service.DENSAI:
        row.densai_applied = True
    else:
        row.fx_applied = True
    row.updated_at = clock.now()
    record(session, actor=actor, action="corporate.applied", subject_type="contract",
           subject_id=contract_id, data={"service": service.value})


def set_approval_mode(session: Session, actor: Actor, *, kind: str, mode: str) -> None:
    """APR-1: none / single / double per kind; smartphone authentication needs an approval
    (002 第12条3), so "none" is refused there."""
    contract = require_manager(session, actor)
    if kind not in APPROVAL_KINDS or mode not in APPROVAL_MODES:
        raise ValidationFailed(detail=f"kind {APPROVAL_KINDS}, mode {APPROVAL_MODES}")
    if mode == "none" and contract.smartphone_auth:
        raise ValidationFailed(detail="smartphone authentication needs single or double approval")
    row = settings_of(session, contract.id)
    setattr(row, f"approval_{kind}", mode)
    row.updated_at = clock.now()
    record(session, actor=actor.label, action="corporate.approval_mode",
           subject_type="contract", subject_id=contract.id, data={"kind": kind, "mode": mode})
    changer = session.get(AuthUser, actor.user_id)
    if changer is not None:
        notify(session, changer, "auth.settings_changed", at=row.updated_at.isoformat(),
               setting=f"承認方式 / approval mode ({kind}: {mode})")


def approval_mode(session: Session, contract: AuthContract, kind: str) -> str:
    mode = str(getattr(settings_of(session, contract.id), f"approval_{kind}"))
    if mode == "none" and contract.smartphone_auth:
        return "single"
    return mode


# --- users -----------------------------------------------------------------------------------

def _target(session: Session, contract: AuthContract, user_id: int) -> AuthUser:
    user = session.get(AuthUser, user_id)
    if user is None or user.contract_id != contract.id:
        raise UserNotFound(detail=f"user {user_id}")
    return user


def _view(session: Session, contract: AuthContract, user: AuthUser) -> UserView:
    grant = session.get(UserGrant, user.id)
    services = entitlements.user_services(session, contract, user)
    return UserView(
        user.id, user.login_id, user.role.value, user.display_name, user.email,
        user.state.value, rules.format_services(services),
        grant.per_transaction_limit if grant else None, grant.daily_limit if grant else None,
        sorted(entitlements.granted_account_ids(session, contract, user)),
        auth_repo.active_token(session, user.id) is not None)


def list_users(session: Session, actor: Actor) -> list[UserView]:
    contract = require_manager(session, actor)
    return [_view(session, contract, u) for u in auth_repo.users_of_contract(session, contract.id)]


def me(session: Session, actor: Actor) -> UserView:
    contract = _contract(session, actor)
    return _view(session, contract, _target(session, contract, actor.user_id))


def _check_grant(session: Session, contract: AuthContract, services: Iterable[Service],
                 per_transaction: int | None, daily: int | None,
                 account_ids: Iterable[int]) -> None:
    outside = set(services) - entitlements.contract_services(session, contract)
    if outside:
        raise ValidationFailed(detail=f"not in the contract: {rules.format_services(outside)}")
    if (per_transaction is None) != (daily is None):
        raise ValidationFailed(detail="give both limits or neither")
    if per_transaction is not None and daily is not None and not (
            0 < per_transaction <= daily):
        raise ValidationFailed(detail="0 < per-transaction limit ≤ daily limit")
    unknown = set(account_ids) - entitlements.usage_account_ids(session, contract)
    if unknown:
        raise ValidationFailed(detail="only usage accounts can be granted")


def set_grants(session: Session, actor: Actor, user_id: int, *, services: Iterable[Service],
               per_transaction: int | None, daily: int | None,
               account_ids: Iterable[int]) -> UserView:
    """PRD-4: per-user services, limits (per transaction, per day) and account access."""
    contract = require_manager(session, actor)
    target = _target(session, contract, user_id)
    services, account_ids = frozenset(services), sorted(set(account_ids))
    _check_grant(session, contract, services, per_transaction, daily, account_ids)
    if target.role is UserRole.MASTER and actor.user_id != target.id \
            and entitlements.is_manager(session, actor) \
            and session.get(AuthUser, actor.user_id).role is not UserRole.MASTER:  # type: ignore[union-attr]
        raise ManagerOnly(detail="an admin user cannot change the master user")
    now = clock.now()
    grant = session.get(UserGrant, target.id)
    if grant is None:
        grant = UserGrant(user_id=target.id, services="", updated_at=now)
        session.add(grant)
    grant.services = rules.format_services(services)
    grant.per_transaction_limit, grant.daily_limit = per_transaction, daily
    grant.updated_at = now
    session.execute(delete(UserAccount).where(UserAccount.user_id == target.id))
    session.add_all(UserAccount(user_id=target.id, account_id=a) for a in account_ids)
    session.flush()
    record(session, actor=actor.label, action="corporate.user_grants", subject_type="auth_user",
           subject_id=target.id, data={"services": grant.services, "accounts": account_ids,
                                       "per_transaction": per_transaction, "daily": daily})
    # NOTIF-1: a setting change is mailed to the user it concerns.
    notify(session, target, "auth.settings_changed", at=now.isoformat(),
           setting="権限・限度額・口座 / services, limits, accounts")
    return _view(session, contract, target)


def create_user(session: Session, actor: Actor, *, role: UserRole, login_id: str,
                temporary_login_password: str, temporary_confirmation_password: str,
                display_name: str = "", email: str | None = None,
                services: Iterable[Service] = (), per_transaction: int | None = None,
                daily: int | None = None, account_ids: Iterable[int] = ()) -> UserView:
    """A master or admin user adds an admin or general user with its grants (PRD-4)."""
    contract = require_manager(session, actor)
    if role not in (UserRole.ADMIN, UserRole.GENERAL):
        raise ValidationFailed(detail="a contract has one master user")
    _check_grant(session, contract, services, per_transaction, daily, account_ids)
    user = enrolment.add_corporate_user(
        session, contract_id=contract.id, role=role, login_id=login_id,
        temporary_login_password=temporary_login_password,
        temporary_confirmation_password=temporary_confirmation_password,
        display_name=display_name, email=email, actor=actor.label)
    return set_grants(session, actor, user.id, services=services,
                      per_transaction=per_transaction, daily=daily, account_ids=account_ids)


def suspend_user(session: Session, actor: Actor, user_id: int, *, suspend: bool = True
                 ) -> UserView:
    """Suspend (every session ends) or resume a user. Nobody suspends the master user or
    themselves here: the master's suspension goes through the bank (CRED-6)."""
    contract = require_manager(session, actor)
    target = _target(session, contract, user_id)
    if target.role is UserRole.MASTER or target.id == actor.user_id:
        raise ManagerOnly(detail="the master user and oneself are not suspended here")
    if suspend:
        target.state, target.state_reason = UserState.SUSPENDED, "suspended by the contract"
        end_all(session, target.id, reason="user_suspended", actor=actor.label)
    elif target.state is UserState.SUSPENDED:
        target.state, target.state_reason = UserState.ACTIVE, None
    target.failure_count = 0 if not suspend else target.failure_count
    session.flush()
    record(session, actor=actor.label,
           action="corporate.user_suspended" if suspend else "corporate.user_resumed",
           subject_type="auth_user", subject_id=target.id, data={})
    now = clock.now()
    notify(session, target, "auth.settings_changed", at=now.isoformat(),
           setting="利用停止 / suspended" if suspend else "利用再開 / resumed")
    return _view(session, contract, target)
