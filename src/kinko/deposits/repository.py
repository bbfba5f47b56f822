"""Time deposit queries: deposits, the exactly-once state change, account numbers."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kinko.deposits.models import DepositState, TimeDeposit
from kinko.ledger.models import Account


def deposit(session: Session, deposit_id: int, *, lock: bool = False) -> TimeDeposit | None:
    stmt = select(TimeDeposit).where(TimeDeposit.id == deposit_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def deposits_of(session: Session, customer_id: int) -> list[TimeDeposit]:
    return list(session.execute(
        select(TimeDeposit).where(TimeDeposit.customer_id == customer_id)
        .order_by(TimeDeposit.id.desc())
    ).scalars())


def close(session: Session, deposit_id: int, *, to: DepositState, closed_on: date,
          **values: Any) -> bool:
    """active → ``to`` only if still active: maturity and a cancellation cannot both win."""
    return session.execute(
        update(TimeDeposit)
        .where(TimeDeposit.id == deposit_id, TimeDeposit.state == DepositState.ACTIVE)
        .values(state=to, closed_on=closed_on, **values)
        .returning(TimeDeposit.id)
    ).scalar_one_or_none() is not None


def highest_number(session: Session, branch_code: str, first: int, last: int) -> int | None:
    top = session.execute(
        select(func.max(Account.number)).where(
            Account.branch_code == branch_code,
            Account.number.between(f"{first:07d}", f"{last:07d}"))
    ).scalar_one_or_none()
    return None if top is None else int(top)


def numbers_in(session: Session, branch_code: str, first: int, last: int) -> list[int]:
    """Every used number of the series, in order (only read when the series' top is taken)."""
    return [int(n) for n in session.execute(
        select(Account.number).where(
            Account.branch_code == branch_code,
            Account.number.between(f"{first:07d}", f"{last:07d}"))
        .order_by(Account.number)
    ).scalars()]


def set_account_closed_on(session: Session, account_id: int, day: date) -> None:
    session.execute(update(Account).where(Account.id == account_id).values(closed_on=day))
