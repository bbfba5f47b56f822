"""Read models for the demo bank's overview page (customers, accounts, recent postings)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from kinko.ledger.models import Account, AccountType, JournalEntry, Posting
from kinko.ledger.rules import withdrawable
from kinko.parties.models import Customer


@dataclass(frozen=True)
class PostingView:
    value_date: date
    amount: int
    balance_after: int
    description: str


@dataclass(frozen=True)
class AccountView:
    id: int
    branch_code: str
    number: str
    type: str
    holder_kana: str
    state: str
    balance: int
    withdrawable: int
    recent: list[PostingView] = field(default_factory=list)


@dataclass(frozen=True)
class CustomerView:
    number: str
    name: str
    kind: str
    accounts: list[AccountView]


def overview(session: Session, *, recent: int = 5) -> list[CustomerView]:
    customers = session.execute(select(Customer).order_by(Customer.number)).scalars().all()
    accounts = session.execute(
        select(Account).where(Account.type != AccountType.INTERNAL)
        .order_by(Account.branch_code, Account.number)
    ).scalars().all()
    by_customer: dict[int, list[AccountView]] = {}
    for a in accounts:
        rows = session.execute(
            select(JournalEntry.value_date, Posting.amount, Posting.balance_after,
                   Posting.description)
            .join(JournalEntry, JournalEntry.id == Posting.entry_id)
            .where(Posting.account_id == a.id)
            .order_by(Posting.id.desc()).limit(recent)
        ).all()
        view = AccountView(
            id=a.id, branch_code=a.branch_code, number=a.number, type=a.type.value,
            holder_kana=a.holder_kana, state=a.state.value, balance=a.balance,
            withdrawable=withdrawable(a.balance, a.held, a.overdraft_limit),
            recent=[PostingView(*r) for r in rows],
        )
        if a.customer_id is not None:
            by_customer.setdefault(a.customer_id, []).append(view)
    return [CustomerView(c.number, c.name, c.kind.value, by_customer.get(c.id, []))
            for c in customers]
