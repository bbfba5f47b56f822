"""The one check every corporate route, page, file upload and batch goes through (PRD-2..4).

``require_service(session, contract, service, user=…, account_id=…)`` refuses, in order:
a service outside the contract's course (or densai/FX without their own application), a
service not granted to a general user, a transacting service for a Basic/Comprehensive user
with no active token (CRED-3), and an account that is not a usage account of the contract or
not granted to the general user. Retail contracts pass for their own bundle (A–E).

Domain services call :func:`check` with their :class:`~kinko.instructions.service.Actor`.
Rows are fetched with ``session.get`` so a request that checks twice pays once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kinko.auth import repository as auth_repo
from kinko.auth.models import AuthContract, AuthUser, Product, UserRole
from kinko.corporate import rules
from kinko.corporate.errors import (
    AccountNotGranted,
    ServiceNotGranted,
    ServiceNotInContract,
    TokenRequired,
)
from kinko.corporate.models import CorporateSettings, UsageAccount, UserAccount, UserGrant
from kinko.corporate.rules import Service
from kinko.instructions.service import Actor

MANAGING = frozenset({UserRole.MASTER, UserRole.ADMIN, UserRole.HOLDER})


def is_corporate(contract: AuthContract) -> bool:
    return contract.product is Product.CORPORATE_002


def _applied(session: Session, contract: AuthContract) -> list[Service]:
    settings = session.get(CorporateSettings, contract.id)
    if settings is None:
        return []
    return ([Service.DENSAI] if settings.densai_applied else []) + (
        [Service.FX] if settings.fx_applied else [])


def contract_services(session: Session, contract: AuthContract) -> frozenset[Service]:
    if not is_corporate(contract):
        return rules.RETAIL_SERVICES
    course = contract.course.value if contract.course is not None else "light"
    return rules.contract_services(course, _applied(session, contract))


def user_services(session: Session, contract: AuthContract, user: AuthUser
                  ) -> frozenset[Service]:
    grant = session.get(UserGrant, user.id)
    granted = rules.parse_services(grant.services) if grant is not None else frozenset()
    return rules.user_services(contract_services(session, contract), user.role.value, granted)


def usage_account_ids(session: Session, contract: AuthContract) -> set[int]:
    ids = set(session.execute(select(UsageAccount.account_id).where(
        UsageAccount.contract_id == contract.id)).scalars())
    if contract.representative_account_id is not None:
        ids.add(contract.representative_account_id)
    return ids


def granted_account_ids(session: Session, contract: AuthContract, user: AuthUser) -> set[int]:
    """The accounts a user may see and use: every usage account for a master/admin user,
    the granted ones (that are still usage accounts) for a general user."""
    usage = usage_account_ids(session, contract)
    if user.role in MANAGING:
        return usage
    return usage & set(session.execute(select(UserAccount.account_id).where(
        UserAccount.user_id == user.id)).scalars())


def require_service(session: Session, contract: AuthContract | int, service: Service | str,
                    *, user: AuthUser | int | None = None, account_id: int | None = None
                    ) -> None:
    """Refuse unless the contract (and the user, when given) may use ``service`` (a letter
    A–N or :class:`Service`), on ``account_id`` when given. Raises a 403 DomainError."""
    service = Service(service)
    row = contract if isinstance(contract, AuthContract) else session.get(AuthContract, contract)
    if row is None:
        raise ServiceNotInContract(detail="no contract")
    if service not in contract_services(session, row):
        raise ServiceNotInContract(detail=f"service {service.value}")
    person = session.get(AuthUser, user) if isinstance(user, int) else user
    if person is None or not is_corporate(row):
        return
    if person.contract_id != row.id:
        raise ServiceNotGranted(detail="another contract's user")
    if service not in user_services(session, row, person):
        raise ServiceNotGranted(detail=f"service {service.value}")
    course = row.course.value if row.course is not None else None
    if rules.needs_token(course, service) and auth_repo.active_token(session, person.id) is None:
        raise TokenRequired()
    if account_id is not None and account_id not in granted_account_ids(session, row, person):
        raise AccountNotGranted(detail=f"account {account_id}")


def check(session: Session, actor: Actor, service: Service | str, *,
          account_id: int | None = None) -> None:
    """:func:`require_service` for the actor of a domain use case."""
    require_service(session, actor.contract_id, service, user=actor.user_id,
                    account_id=account_id)


# APR-1: what holds a business-net transfer for its approvals. The approvals stand on the
# transfer domain (kinko.corporate_portal, above it), so they register here at import and
# the transfer domain calls them through :func:`transfer_approval`, importing nothing above.
TransferHold = Callable[[Session, Actor, Any, dict[str, Any], str], None]
_transfer_hold: list[TransferHold] = []


def register_transfer_hold(hold: TransferHold) -> None:
    _transfer_hold[:] = [hold]


def transfer_approval(session: Session, actor: Actor
                      ) -> Callable[[Session, Actor, Any, dict[str, Any]], None] | None:
    """:func:`check` of a transfer (D) at its confirmation; then, for a business-net contract
    whose transfers need approval (APR-1: single or double), what holds the confirmed
    transfer for them, or None when it runs as confirmed. A retail contract is answered from
    the rows the check already loaded."""
    check(session, actor, Service.TRANSFER)
    contract = session.get(AuthContract, actor.contract_id)
    if contract is None or not is_corporate(contract):
        return None
    settings = session.get(CorporateSettings, contract.id)
    mode = settings.approval_transfer if settings is not None else "none"
    if mode == "none" and contract.smartphone_auth:
        # 002 第12条3: with smartphone authentication the bank's transactions are approved.
        mode = "single"
    if mode == "none":
        return None
    if not _transfer_hold:
        # Never run an approval-bound transfer unapproved: a process without the portal's
        # approvals loaded refuses to confirm it.
        raise RuntimeError("kinko.corporate_portal.transfer_approvals is not loaded")
    hold = _transfer_hold[0]
    return lambda s, a, instruction, details: hold(s, a, instruction, details, mode)


def visible_accounts(session: Session, actor: Actor) -> set[int] | None:
    """The account ids a corporate user's balances and statements show (usage accounts, and
    for a general user only the granted ones); None for a retail contract (all its own)."""
    contract = session.get(AuthContract, actor.contract_id)
    user = session.get(AuthUser, actor.user_id)
    if contract is None or user is None or not is_corporate(contract):
        return None
    return granted_account_ids(session, contract, user)


def is_manager(session: Session, actor: Actor) -> bool:
    user = session.get(AuthUser, actor.user_id)
    return user is not None and user.role in MANAGING


def require_retail(session: Session, actor: Actor, *, what: str) -> None:
    """Time deposits and debit cards belong to the retail products; the business net's
    courses do not include them (002 第1条2(2))."""
    contract = session.get(AuthContract, actor.contract_id)
    if contract is not None and is_corporate(contract):
        raise ServiceNotInContract(detail=what)
