"""Register customers and open their accounts (PRD-1): the operator's use cases.

Each function takes the caller's session and never commits; every change is audited.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.service import record
from kinko.auth.models import AuthContract, AuthUser
from kinko.ledger.models import Account, AccountType
from kinko.ledger.service import open_account
from kinko.onboarding import rules
from kinko.onboarding.errors import CustomerInputInvalid
from kinko.parties.models import Branch, Customer
from kinko.parties.residency import get_customer
from kinko.parties.residency_models import ResidencyChange

OPENABLE = (AccountType.ORDINARY, AccountType.CHECKING, AccountType.TIME)


def register_customer(session: Session, *, kind: str, name: str, name_kana: str,
                      branch_code: str, postal_code: str, address: str, phone: str,
                      birth_date: date | None, resident: bool, email: str | None = None,
                      actor: str) -> Customer:
    """A new individual or corporate customer from the application form (PRD-1, PRD-5)."""
    details = rules.check_customer(kind=kind, name=name, name_kana=name_kana,
                                   branch_code=branch_code, postal_code=postal_code,
                                   address=address, phone=phone, birth_date=birth_date,
                                   resident=resident, today=clock.today(), email=email)
    if session.get(Branch, details.branch_code) is None:
        raise CustomerInputInvalid(detail=f"no branch {details.branch_code}",
                                   fields=["branch_code"])
    # A unique placeholder until the id is known (the number is derived from it).
    customer = Customer(number="P" + secrets.token_hex(4), kind=details.kind, name=details.name,
                        name_kana=details.name_kana, branch_code=details.branch_code,
                        birth_date=details.birth_date, phone=details.phone,
                        email=details.email, postal_code=details.postal_code,
                        address=details.address, resident=details.resident,
                        residency_changed_on=None, created_at=clock.now())
    session.add(customer)
    session.flush()
    customer.number = rules.customer_number(customer.id)
    if not details.resident:
        # The declaration made at opening is the first entry of the residency history.
        session.add(ResidencyChange(customer_id=customer.id, resident=False,
                                    effective_on=clock.today(), recorded_at=clock.now(),
                                    recorded_by=actor))
        customer.residency_changed_on = clock.today()
    session.flush()
    record(session, actor=actor, action="customer.registered", subject_type="customer",
           subject_id=customer.id, data={"number": customer.number, "kind": details.kind.value,
                                         "branch": details.branch_code,
                                         "resident": details.resident})
    return customer


def find_customers(session: Session, *, text: str = "", limit: int = 50) -> Sequence[Customer]:
    """By customer number, kanji name or kana name (part of it); newest first."""
    query = select(Customer).order_by(Customer.id.desc()).limit(limit)
    wanted = text.strip()
    if wanted:
        kana = rules.half_width_kana(wanted)
        query = query.where(or_(Customer.number == wanted.upper(),
                                Customer.name.contains(wanted, autoescape=True),
                                Customer.name_kana.contains(kana, autoescape=True)))
    return session.execute(query).scalars().all()


def open_customer_account(session: Session, *, customer_id: int, account_type: str,
                          branch_code: str | None = None, actor: str) -> Account:
    """Open an account in the customer's name with the branch's next number (PRD-1)."""
    customer = get_customer(session, customer_id)
    if account_type not in {t.value for t in OPENABLE}:
        raise CustomerInputInvalid(detail="the type is ordinary, checking or time",
                                   fields=["account_type"])
    branch = (branch_code or customer.branch_code).strip()
    if session.get(Branch, branch) is None:
        raise CustomerInputInvalid(detail=f"no branch {branch}", fields=["branch_code"])
    # Lock the branch row: two openings at once would otherwise take the same number.
    session.execute(select(Branch).where(Branch.code == branch).with_for_update()).one()
    highest = session.execute(select(func.max(Account.number))
                              .where(Account.branch_code == branch)).scalar_one_or_none()
    return open_account(session, branch_code=branch,
                        number=rules.next_account_number(highest),
                        account_type=AccountType(account_type), holder_kana=customer.name_kana,
                        customer_id=customer.id, actor=actor)


@dataclass(frozen=True)
class CustomerView:
    customer: Customer
    accounts: Sequence[Account]
    contracts: Sequence[AuthContract]
    users: Sequence[AuthUser]


def customer_view(session: Session, customer_id: int) -> CustomerView:
    customer = get_customer(session, customer_id)
    accounts = session.execute(select(Account).where(Account.customer_id == customer_id)
                               .order_by(Account.id)).scalars().all()
    contracts = session.execute(select(AuthContract).where(
        AuthContract.customer_id == customer_id).order_by(AuthContract.id)).scalars().all()
    users = session.execute(select(AuthUser).where(AuthUser.customer_id == customer_id)
                            .order_by(AuthUser.id)).scalars().all()
    return CustomerView(customer, accounts, contracts, users)
