"""Debit cards linked to ordinary accounts (DEB-1).

The card number is never stored: only a keyed hash (HMAC under a key derived from the secret
key, so a stolen table cannot be matched against a list of numbers) and its last four digits
for display.

"One active card per account" and "a card active on one account only" are enforced by the
database: ``active_account_id`` / ``active_digest`` carry the account id / hash while the card
is active and NULL after cancellation, and both are UNIQUE. NULLs never collide, so cancelled
cards pile up freely — the same guarantee as a partial unique index, in portable SQL.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from kinko.db.base import Base, BigId, UtcDateTime, value_enum


class CardState(enum.StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


class DebitCard(Base):
    __tablename__ = "debit_cards"
    __table_args__ = (Index("ix_debit_cards_customer", "customer_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    number_digest: Mapped[str] = mapped_column(String(64))
    last4: Mapped[str] = mapped_column(String(4))
    state: Mapped[CardState] = mapped_column(
        value_enum(CardState, 12),
        default=CardState.ACTIVE,
    )
    active_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"),
                                                          unique=True)
    active_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    registered_by: Mapped[str] = mapped_column(String(80))
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancelled_by: Mapped[str | None] = mapped_column(String(80))
