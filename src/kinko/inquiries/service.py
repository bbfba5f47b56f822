"""Read-only answers as of the moment asked (INQ-1; they may later be corrected, 002 第5条1(2)).

Every query is scoped to the actor's own customer: another customer's account is "not found",
never "forbidden", so account numbers cannot be probed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kinko import clock
from kinko.corporate import entitlements
from kinko.corporate.rules import Service
from kinko.errors import ValidationFailed
from kinko.inquiries import repository as repo
from kinko.instructions.service import Actor
from kinko.ledger.errors import AccountNotFound
from kinko.ledger.models import Account, AccountType
from kinko.ledger.rules import withdrawable
from kinko.policy import current_policy

# How far back a statement reaches online (bank-prescribed; 002 第5条1 leaves it to the bank).
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class Balance:
    account_id: int
    branch_code: str
    number: str
    type: str
    holder_kana: str
    state: str
    balance: int
    withdrawable: int
    as_of: datetime


@dataclass(frozen=True)
class StatementLine:
    posting_id: int
    value_date: date
    booked_at: datetime
    description: str
    withdrawal: int
    deposit: int
    balance_after: int
    entry_id: int = 0   # the journal entry: the instruction (and its fee) it belongs to


@dataclass(frozen=True)
class Statement:
    account_id: int
    date_from: date
    date_to: date
    lines: list[StatementLine]
    total: int
    page: int
    page_size: int
    # Cursor of the next (older) page, to pass as ``before``; None on the last page.
    next: int | None = None


def own_accounts(session: Session, actor: Actor) -> list[Account]:
    """The customer's accounts; for a corporate user only the usage accounts it is granted
    (PRD-3, PRD-4: balances and statements show usage accounts only)."""
    accounts = list(session.execute(
        select(Account).where(Account.customer_id == actor.customer_id,
                              Account.type != AccountType.INTERNAL)
        .order_by(Account.branch_code, Account.number)
    ).scalars())
    visible = entitlements.visible_accounts(session, actor)
    return accounts if visible is None else [a for a in accounts if a.id in visible]


def own_account(session: Session, actor: Actor, account_id: int,
                service: Service = Service.STATEMENT) -> Account:
    account = session.get(Account, account_id)
    if account is None or account.customer_id != actor.customer_id:
        raise AccountNotFound(detail=f"account {account_id}")
    entitlements.check(session, actor, service, account_id=account.id)
    return account


def balances(session: Session, actor: Actor) -> list[Balance]:
    entitlements.check(session, actor, Service.BALANCE)
    now = clock.now()
    return [Balance(a.id, a.branch_code, a.number, a.type.value, a.holder_kana, a.state.value,
                    a.balance, withdrawable(a.balance, a.held, a.overdraft_limit), now)
            for a in own_accounts(session, actor)]


def statement(session: Session, actor: Actor, account_id: int, *,
              date_from: date | None = None, date_to: date | None = None,
              page: int = 1, page_size: int = 50, before: int | None = None) -> Statement:
    """Deposits and withdrawals of one account in a period, newest first, paged.

    ``before`` is the cursor of the previous page (``Statement.next``): the page then starts
    right after that page's last line at the cost of any other page. Without it, ``page``
    counts from the newest line (kept for links; a deep page costs its depth). Page 1 and
    every cursor page read only their own lines and the period's, never older history
    (docs/performance.md "Cost flat in history").
    """
    account = own_account(session, actor, account_id)
    today = clock.today()
    date_to = date_to or today
    date_from = date_from or (date_to - timedelta(days=30))
    # How far back is the bank's (policy inquiries.statement_months, default 13 months).
    oldest = today - timedelta(days=current_policy().inquiries.statement_months * 31)
    if date_from > date_to:
        raise ValidationFailed(detail="date_from is after date_to")
    if date_from < oldest:
        raise ValidationFailed(detail=f"statements reach back to {oldest.isoformat()}")
    if not 1 <= page_size <= MAX_PAGE_SIZE or page < 1:
        raise ValidationFailed(detail=f"page ≥ 1 and page_size 1–{MAX_PAGE_SIZE}")
    if before is not None and not 0 < before < 2**63:
        raise ValidationFailed(detail="before is not a statement cursor")
    first = repo.first_entry_of_period(session, date_from, date_to)
    if first is None:
        return Statement(account.id, date_from, date_to, [], 0, page, page_size)
    # One line more than the page tells whether an older page exists without another query.
    rows = repo.statement_lines(
        session, account.id, first, date_from, date_to, limit=page_size + 1,
        before_entry=before, offset=0 if before is not None else (page - 1) * page_size)
    # Each row carries the period's count; only a page past the end needs it asked for.
    total = rows[0].total if rows else (
        repo.count_lines(session, account.id, first, date_from, date_to)
        if before is not None or page > 1 else 0)
    more = len(rows) > page_size
    rows = rows[:page_size]
    lines = [StatementLine(r.id, r.value_date, r.created_at, r.description,
                           -r.amount if r.amount < 0 else 0, r.amount if r.amount > 0 else 0,
                           r.balance_after, r.entry_id) for r in rows]
    return Statement(account.id, date_from, date_to, lines, total, page, page_size,
                     next=rows[-1].entry_id if more else None)


def statement_csv(session: Session, actor: Actor, account_id: int, *, date_from: date | None,
                  date_to: date | None) -> str:
    """The whole period as CSV (oldest first), headers in Japanese and English."""
    page = statement(session, actor, account_id, date_from=date_from, date_to=date_to,
                     page_size=MAX_PAGE_SIZE)
    lines: list[StatementLine] = list(page.lines)
    while page.next is not None:
        page = statement(session, actor, account_id, date_from=page.date_from,
                         date_to=page.date_to, page_size=MAX_PAGE_SIZE, before=page.next)
        lines += page.lines
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["取引日/date", "摘要/description", "お引出し/withdrawal",
                     "お預入れ/deposit", "残高/balance"])
    for line in reversed(lines):
        writer.writerow([line.value_date.isoformat(), line.description, line.withdrawal or "",
                         line.deposit or "", line.balance_after])
    return out.getvalue()


def fees_by_entry(session: Session, account_id: int, entry_ids: list[int]) -> dict[int, int]:
    """The fee inside each of these debits of the account (an instruction books its amount
    and fee as one debit), so a statement can show the amount and the fee apart."""
    from sqlalchemy import select

    from kinko.instructions.models import Instruction

    if not entry_ids:
        return {}
    rows = session.execute(
        select(Instruction.entry_id, Instruction.fee)
        .where(Instruction.debit_account_id == account_id, Instruction.entry_id.in_(entry_ids),
               Instruction.fee > 0)
    ).all()
    return {int(r.entry_id): int(r.fee) for r in rows if r.entry_id is not None}
