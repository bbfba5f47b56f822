"""Debit card queries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kinko.debitcards.models import CardState, DebitCard


def active_on_account(session: Session, account_id: int) -> DebitCard | None:
    return session.execute(
        select(DebitCard).where(DebitCard.active_account_id == account_id)
    ).scalar_one_or_none()


def active_with_digest(session: Session, digest: str) -> DebitCard | None:
    return session.execute(
        select(DebitCard).where(DebitCard.active_digest == digest)
    ).scalar_one_or_none()


def cards_of(session: Session, customer_id: int) -> list[DebitCard]:
    return list(session.execute(
        select(DebitCard).where(DebitCard.customer_id == customer_id)
        .order_by(DebitCard.id.desc())
    ).scalars())


def card(session: Session, card_id: int) -> DebitCard | None:
    return session.get(DebitCard, card_id)


def cancel(session: Session, card_id: int, *, at: datetime, by: str) -> bool:
    """active → cancelled exactly once; frees the account and the number for a new card."""
    return session.execute(
        update(DebitCard)
        .where(DebitCard.id == card_id, DebitCard.state == CardState.ACTIVE)
        .values(state=CardState.CANCELLED, active_account_id=None, active_digest=None,
                cancelled_at=at, cancelled_by=by)
        .returning(DebitCard.id)
    ).scalar_one_or_none() is not None
