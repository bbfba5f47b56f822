"""Transfer tables: registered payees, customer-set limits, daily usage and recalls."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kinko.db.base import Base, BigId, UtcDateTime, value_enum


class Payee(Base):
    """A pre-registered payee (事前登録, XFER-2) of one contract."""

    __tablename__ = "payees"
    __table_args__ = (UniqueConstraint("contract_id", "bank_code", "branch_code",
                                       "account_type", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("auth_contracts.id"), index=True)
    bank_code: Mapped[str] = mapped_column(String(4))
    branch_code: Mapped[str] = mapped_column(String(3))
    account_type: Mapped[str] = mapped_column(String(10))
    number: Mapped[str] = mapped_column(String(7))
    holder_kana: Mapped[str] = mapped_column(String(48))
    nickname: Mapped[str] = mapped_column(String(60), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TransferLimit(Base):
    """Limits the customer set for its contract (user_id NULL) or one user (XFER-6)."""

    __tablename__ = "transfer_limits"
    __table_args__ = (
        UniqueConstraint("contract_id", "user_id"),
        CheckConstraint("daily_limit >= 0 AND per_transaction_limit >= 0", name="not_negative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("auth_contracts.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("auth_users.id"))
    daily_limit: Mapped[int] = mapped_column(BigInteger)
    per_transaction_limit: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LimitUsage(Base):
    """How much of a daily limit is used: raised only by a conditional UPDATE that keeps it
    within the limit, so concurrent confirmations can never exceed it together."""

    __tablename__ = "limit_usage"
    __table_args__ = (CheckConstraint("used >= 0", name="used_not_negative"),)

    scope: Mapped[str] = mapped_column(String(60), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    used: Mapped[int] = mapped_column(BigInteger, default=0)


class RecallState(enum.StrEnum):
    REQUESTED = "requested"
    COMPLETED = "completed"   # the funds came back
    REJECTED = "rejected"     # the payee (bank) refused; the fee is kept


class Recall(Base):
    """A 組戻 request for a same-day transfer, handled by an operator (XFER-5)."""

    __tablename__ = "recalls"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instruction_id: Mapped[int] = mapped_column(ForeignKey("instructions.id"), unique=True)
    state: Mapped[RecallState] = mapped_column(
        value_enum(RecallState, 12),
        default=RecallState.REQUESTED,
    )
    reason: Mapped[str] = mapped_column(String(200))
    fee: Mapped[int] = mapped_column(BigInteger)
    fee_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    requested_by: Mapped[str] = mapped_column(String(80))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    return_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
