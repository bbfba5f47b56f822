"""Pay-easy tables: the collection agencies (収納機関) the bank serves and, standing in for
the agencies' own systems, their bills (PAY-1).

A bill moves unpaid → paid exactly once, by a conditional UPDATE on its state; the agency may
then cancel it (paid → cancelled, the money is returned) or withdraw an unpaid one.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kinko.db.base import Base, BigId, UtcDateTime, value_enum


class BillState(enum.StrEnum):
    UNPAID = "unpaid"
    PAID = "paid"
    CANCELLED = "cancelled"   # by the agency (002 第5条3(6)); a paid bill's money is returned


class PayEasyAgency(Base):
    __tablename__ = "payeasy_agencies"
    __table_args__ = (CheckConstraint("length(code) = 5", name="code_5_digits"),)

    code: Mapped[str] = mapped_column(String(5), primary_key=True)   # 収納機関番号
    name: Mapped[str] = mapped_column(String(60))
    name_kana: Mapped[str] = mapped_column(String(30))              # for the statement (摘要)
    active: Mapped[bool] = mapped_column(default=True)


class PayEasyBill(Base):
    __tablename__ = "payeasy_bills"
    __table_args__ = (
        UniqueConstraint("agency_code", "customer_number"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    agency_code: Mapped[str] = mapped_column(ForeignKey("payeasy_agencies.code"))
    customer_number: Mapped[str] = mapped_column(String(20))        # お客様番号
    confirmation_number: Mapped[str] = mapped_column(String(6))     # 確認番号
    amount: Mapped[int] = mapped_column(BigInteger)
    due_date: Mapped[date] = mapped_column(Date)                    # 払込期限
    payee_name: Mapped[str] = mapped_column(String(60))             # 払込先 shown to the payer
    description: Mapped[str] = mapped_column(String(100), default="")  # 請求内容
    state: Mapped[BillState] = mapped_column(
        value_enum(BillState, 12),
        default=BillState.UNPAID,
    )
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    paid_instruction_id: Mapped[int | None] = mapped_column(ForeignKey("instructions.id"),
                                                            unique=True)
    paid_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    paid_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    refund_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
