"""Pay-easy queries: agencies, bills, the exactly-once state changes of a bill."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kinko.payeasy.models import BillState, PayEasyAgency, PayEasyBill


def agency(session: Session, code: str) -> PayEasyAgency | None:
    return session.get(PayEasyAgency, code)


def agencies(session: Session) -> list[PayEasyAgency]:
    return list(session.execute(
        select(PayEasyAgency).where(PayEasyAgency.active.is_(True))
        .order_by(PayEasyAgency.code)
    ).scalars())


def bill_by_number(session: Session, agency_code: str, customer_number: str, *,
                   lock: bool = False) -> PayEasyBill | None:
    stmt = select(PayEasyBill).where(PayEasyBill.agency_code == agency_code,
                                     PayEasyBill.customer_number == customer_number)
    if lock:
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def bill(session: Session, bill_id: int) -> PayEasyBill | None:
    return session.get(PayEasyBill, bill_id)


def mark_paid(session: Session, bill_id: int, *, amount: int, today: date,
              instruction_id: int, account_id: int, at: datetime) -> bool:
    """unpaid → paid, only if still unpaid, due, and of the amount the payer confirmed.

    The WHERE clause is the guard: of any number of concurrent payments of one bill exactly
    one matches; the others wait for its row lock, then find it paid and match nothing.
    """
    return session.execute(
        update(PayEasyBill)
        .where(PayEasyBill.id == bill_id, PayEasyBill.state == BillState.UNPAID,
               PayEasyBill.amount == amount, PayEasyBill.due_date >= today)
        .values(state=BillState.PAID, paid_at=at, paid_instruction_id=instruction_id,
                paid_account_id=account_id)
        .returning(PayEasyBill.id)
    ).scalar_one_or_none() is not None


def set_paid_entry(session: Session, bill_id: int, entry_id: int) -> None:
    session.execute(update(PayEasyBill).where(PayEasyBill.id == bill_id)
                    .values(paid_entry_id=entry_id))


def mark_cancelled(session: Session, bill_id: int, *, frm: BillState, at: datetime,
                   reason: str) -> bool:
    """unpaid/paid → cancelled, only from the state the caller saw (exactly once)."""
    return session.execute(
        update(PayEasyBill)
        .where(PayEasyBill.id == bill_id, PayEasyBill.state == frm)
        .values(state=BillState.CANCELLED, cancelled_at=at, cancel_reason=reason)
        .returning(PayEasyBill.id)
    ).scalar_one_or_none() is not None


def set_refund_entry(session: Session, bill_id: int, entry_id: int) -> None:
    session.execute(update(PayEasyBill).where(PayEasyBill.id == bill_id)
                    .values(refund_entry_id=entry_id))
