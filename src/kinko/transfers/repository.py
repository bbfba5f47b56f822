"""Transfer queries: payees, limits, daily usage."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kinko.db.base import insert_ignoring_conflicts
from kinko.transfers.models import LimitUsage, Payee, TransferLimit
from kinko.transfers.rules import Limits


def payee(session: Session, contract_id: int, payee_id: int) -> Payee | None:
    return session.execute(
        select(Payee).where(Payee.id == payee_id, Payee.contract_id == contract_id)
    ).scalar_one_or_none()


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
