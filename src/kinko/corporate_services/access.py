"""Which corporate contract a user acts for, and whether it may use a service.

Every service of this package asks :func:`require_service` first: the contract must be an
active corporate-002 contract whose course (or separate application) includes the service —
the business net's one entitlement check, ``kinko.corporate.entitlements`` (PRD-2).
"""

from __future__ import annotations

import enum

from sqlalchemy import select
from sqlalchemy.orm import Session

from kinko.auth.models import AuthContract, ContractState, Product
from kinko.corporate import entitlements
from kinko.corporate.rules import Service as CorporateService
from kinko.corporate_services.errors import NotCorporate, ServiceNotContracted
from kinko.instructions.service import Actor
from kinko.ledger.models import Account, AccountState


class Service(enum.StrEnum):
    ZENGIN_STATEMENTS = "zengin_statements"   # 第5条11
    DIRECT_DEBIT = "direct_debit"             # 第5条9
    COLLECTION = "collection"                 # 第5条10
    LOCAL_TAX = "local_tax"                   # 第5条8


def contract_of(session: Session, actor: Actor) -> AuthContract:
    """The caller's corporate contract, or :class:`NotCorporate`."""
    contract = session.get(AuthContract, actor.contract_id)
    if contract is None or contract.product is not Product.CORPORATE_002:
        raise NotCorporate
    return contract


# The letters of 002 第1条2(2) for this package's services.
_LETTERS = {Service.LOCAL_TAX: CorporateService.LOCAL_TAX,
            Service.DIRECT_DEBIT: CorporateService.DIRECT_DEBIT,
            Service.COLLECTION: CorporateService.COLLECTION,
            Service.ZENGIN_STATEMENTS: CorporateService.ZENGIN_STATEMENT}


def require_service(session: Session, contract: AuthContract, service: Service) -> None:
    """Refuse a service the contract may not use: not a business net contract, not active,
    or its course does not include it (Light and Basic have none of J–M)."""
    if contract.product is not Product.CORPORATE_002:
        raise NotCorporate
    if contract.state is not ContractState.ACTIVE:
        raise ServiceNotContracted(detail=f"contract {contract.id} is {contract.state.value}")
    entitlements.require_service(session, contract, _LETTERS[service])


def course_of(contract: AuthContract) -> str | None:
    """The contract's course for its monthly fee (light / basic / comprehensive)."""
    return contract.course.value if contract.course is not None else None


def usage_accounts(session: Session, contract: AuthContract) -> list[Account]:
    """The contract's accounts (利用口座, :mod:`kinko.corporate.entitlements`) still open, the
    representative account first."""
    rows = list(session.execute(
        select(Account).where(Account.id.in_(entitlements.usage_account_ids(session, contract)),
                              Account.state != AccountState.CLOSED)
        .order_by(Account.branch_code, Account.number)).scalars())
    rows.sort(key=lambda a: a.id != contract.representative_account_id)
    return rows


def usage_account(session: Session, contract: AuthContract, account_id: int) -> Account:
    from kinko.ledger.errors import AccountNotFound

    for account in usage_accounts(session, contract):
        if account.id == account_id:
            return account
    raise AccountNotFound(detail=f"account {account_id}")
