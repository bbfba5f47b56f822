"""Transfer queries: payees, limits, daily usage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import Date, TextClause, and_, bindparam, or_, select, text, update
from sqlalchemy.orm import Session, aliased

from kinko.db.base import insert_ignoring_conflicts
from kinko.ledger.models import Account
from kinko.parties.models import Branch
from kinko.transfers.models import LimitUsage, Payee, TransferLimit
from kinko.transfers.rules import Limits


def payee(session: Session, contract_id: int, payee_id: int) -> Payee | None:
    return session.execute(_PAYEE, {"payee_id": payee_id, "contract_id": contract_id}
                           ).scalar_one_or_none()


# Statements of the transfer's hot path, built once (building one and computing its cache
# key on every request cost more than PostgreSQL took to answer it).
_PAYEE = select(Payee).where(Payee.id == bindparam("payee_id"),
                             Payee.contract_id == bindparam("contract_id"))


@dataclass(frozen=True)
class PayeeRead:
    """What entering a transfer to a registered payee reads, in one statement."""

    payee: Payee
    branch: Branch | None        # when the payee is at this bank: its branch …
    account: Account | None      # … and the account it names (either may be missing)
    contract_limits: Limits | None   # the contract's and the user's chosen limits (XFER-6)
    user_limits: Limits | None
    # The account asked for as the source, whoever's it is (the identity map holds objects
    # only weakly: held here, ``session.get`` finds it without a statement).
    source: Account | None


def payee_with_account(session: Session, contract_id: int, user_id: int, payee_id: int,
                       own_bank_code: str, *, source_account_id: int) -> PayeeRead | None:
    """The payee with its branch and account at this bank and the chosen limits
    (:func:`chosen_limits_of`): a transfer to a registered payee reads them all. The account
    ``source_account_id`` comes along (whose it is, the caller checks)."""
    found = session.execute(_PAYEE_WITH_ACCOUNT, {
        "payee_id": payee_id, "contract_id": contract_id, "user_id": user_id,
        "own_bank_code": own_bank_code, "source_id": source_account_id,
    }).one_or_none()
    if found is None:
        return None
    payee, branch, account, source, c_per, c_day, u_per, u_day = found
    return PayeeRead(payee, branch, account,
                     None if c_per is None else Limits(c_per, c_day),
                     None if u_per is None else Limits(u_per, u_day), source)


def _chosen(column: Any, *, users: bool) -> Any:
    """One chosen limit of the contract (``users`` False) or of the user, as a scalar."""
    whose = (TransferLimit.user_id == bindparam("user_id") if users
             else TransferLimit.user_id.is_(None))
    return (select(column).where(TransferLimit.contract_id == bindparam("contract_id"), whose)
            .limit(1).scalar_subquery())


_SOURCE = aliased(Account)
_PAYEE_WITH_ACCOUNT = (
    select(Payee, Branch, Account, _SOURCE,
           _chosen(TransferLimit.per_transaction_limit, users=False),
           _chosen(TransferLimit.daily_limit, users=False),
           _chosen(TransferLimit.per_transaction_limit, users=True),
           _chosen(TransferLimit.daily_limit, users=True))
    .outerjoin(Branch, and_(Payee.bank_code == bindparam("own_bank_code"),
                            Branch.code == Payee.branch_code))
    .outerjoin(Account, and_(Account.branch_code == Branch.code,
                             Account.number == Payee.number))
    .outerjoin(_SOURCE, _SOURCE.id == bindparam("source_id"))
    .where(Payee.id == bindparam("payee_id"), Payee.contract_id == bindparam("contract_id")))


def payees(session: Session, contract_id: int) -> list[Payee]:
    return list(session.execute(
        select(Payee).where(Payee.contract_id == contract_id).order_by(Payee.id)
    ).scalars())


def find_payee(session: Session, contract_id: int, bank: str, branch: str, account_type: str,
               number: str) -> Payee | None:
    return session.execute(
        select(Payee).where(Payee.contract_id == contract_id, Payee.bank_code == bank,
                            Payee.branch_code == branch, Payee.account_type == account_type,
                            Payee.number == number)
    ).scalar_one_or_none()


def limit_row(session: Session, contract_id: int, user_id: int | None) -> TransferLimit | None:
    whose = TransferLimit.user_id.is_(None) if user_id is None else TransferLimit.user_id == user_id
    return session.execute(
        select(TransferLimit).where(TransferLimit.contract_id == contract_id, whose)
    ).scalar_one_or_none()


def chosen_limits(session: Session, contract_id: int, user_id: int | None) -> Limits | None:
    row = limit_row(session, contract_id, user_id)
    return None if row is None else Limits(row.per_transaction_limit, row.daily_limit)


def chosen_limits_of(session: Session, contract_id: int, user_id: int
                     ) -> tuple[Limits | None, Limits | None]:
    """The contract's and the user's chosen limits (either may be unset), in one query."""
    rows = session.execute(_CHOSEN_LIMITS, {"contract_id": contract_id, "user_id": user_id}
                           ).all()
    contract = next((Limits(r.per_transaction_limit, r.daily_limit)
                     for r in rows if r.user_id is None), None)
    user = next((Limits(r.per_transaction_limit, r.daily_limit)
                 for r in rows if r.user_id is not None), None)
    return contract, user


_CHOSEN_LIMITS = (
    select(TransferLimit.user_id, TransferLimit.per_transaction_limit, TransferLimit.daily_limit)
    .where(TransferLimit.contract_id == bindparam("contract_id"),
           or_(TransferLimit.user_id.is_(None), TransferLimit.user_id == bindparam("user_id"))))


def take(session: Session, scope: str, day: date, amount: int, limit: int) -> bool:
    """Add ``amount`` to the day's usage only if it stays within ``limit`` (atomic)."""
    insert_ignoring_conflicts(session, LimitUsage, {"scope": scope, "day": day, "used": 0})
    return session.execute(
        update(LimitUsage)
        .where(LimitUsage.scope == scope, LimitUsage.day == day,
               LimitUsage.used + amount <= limit)
        .values(used=LimitUsage.used + amount)
        .returning(LimitUsage.used)
    ).scalar_one_or_none() is not None


def take_all(session: Session, scopes: Sequence[tuple[str, int]], day: date, amount: int
             ) -> list[str]:
    """Add ``amount`` to the day's usage of every ``(scope, limit)`` at once, each only if it
    stays within its limit; return the scopes that refused (none: all were taken).

    One upsert for all scopes: a missing row is inserted with ``amount`` (checked against the
    limit here), an existing one is raised by the conflict's conditional UPDATE, which the
    database applies atomically under the row's lock, so concurrent confirmations can never
    exceed a limit together. Rows are written in the order given (callers sort the scopes:
    one lock order). A refusal leaves the other scopes raised: the caller raises, and its
    transaction (or savepoint) undoes them.
    """
    fits = [(scope, limit) for scope, limit in scopes if amount <= limit]
    refused = [scope for scope, limit in scopes if amount > limit]
    if not fits:
        return refused
    params: dict[str, Any] = {"day": day, "amount": amount}
    for i, (scope, limit) in enumerate(fits):
        params[f"scope{i}"], params[f"limit{i}"] = scope, limit
    taken = set(session.execute(_take_statement(len(fits)), params).scalars())
    return sorted(refused + [scope for scope, _ in fits if scope not in taken])


@cache
def _take_statement(rows: int) -> TextClause:
    """The upsert of :func:`take_all` for ``rows`` scopes, built once: SQLAlchemy cannot cache
    a multi-row ``VALUES`` and compiled it again on every confirmation. The same SQL runs on
    PostgreSQL and SQLite (both have ``ON CONFLICT … DO UPDATE … WHERE`` and ``RETURNING``)."""
    values = ", ".join(f"(:scope{i}, :day, :amount)" for i in range(rows))
    ceilings = " ".join(f"WHEN :scope{i} THEN :limit{i}" for i in range(rows))
    # Only placeholders are put into the text: every value is bound.
    sql = (f"INSERT INTO limit_usage (scope, day, used) VALUES {values} "  # noqa: S608
           "ON CONFLICT (scope, day) DO UPDATE SET used = limit_usage.used + excluded.used "
           f"WHERE limit_usage.used + excluded.used <= CASE excluded.scope {ceilings} END "
           "RETURNING scope")
    return text(sql).bindparams(bindparam("day", type_=Date))


def give_back(session: Session, scope: str, day: date, amount: int) -> None:
    session.execute(
        update(LimitUsage).where(LimitUsage.scope == scope, LimitUsage.day == day,
                                 LimitUsage.used >= amount)
        .values(used=LimitUsage.used - amount)
    )


def used(session: Session, scope: str, day: date) -> int:
    return session.execute(
        select(LimitUsage.used).where(LimitUsage.scope == scope, LimitUsage.day == day)
    ).scalar_one_or_none() or 0
