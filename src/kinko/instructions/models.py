"""Instructions: what a customer asked the bank to do, and what became of it."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kinko.db.base import Base, BigId, UtcDateTime, value_enum


class InstructionStatus(enum.StrEnum):
    ENTERED = "entered"                   # shown to the customer, waiting for confirmation
    ACCEPTED = "accepted"                 # confirmed; waiting for its value date
    EXECUTED = "executed"                 # money moved
    NOT_ESTABLISHED = "not_established"   # 不成立 (INS-2): treated as never made
    VOID = "void"                         # confirmation came after the deadline (INS-1)
    CANCELLED = "cancelled"               # future-dated, cancelled before the value date
    RETURNED = "returned"                 # the other bank returned it (XFER-7): fee kept
    RECALLED = "recalled"                 # 組戻 completed by an operator (XFER-5)


OPEN_STATES = frozenset({InstructionStatus.ENTERED, InstructionStatus.ACCEPTED})


class Instruction(Base):
    __tablename__ = "instructions"
    __table_args__ = (
        UniqueConstraint("user_id", "create_key"),
        Index("ix_instructions_customer_created", "customer_id", "entered_at"),
        Index("ix_instructions_due", "status", "value_date"),
        # The contract's list, newest first, paged by keyset on (entered_at, id).
        Index("ix_instructions_contract_entered", "contract_id", "entered_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(30))         # transfer, payeasy, time_deposit…
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    contract_id: Mapped[int] = mapped_column(ForeignKey("auth_contracts.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("auth_users.id"))
    status: Mapped[InstructionStatus] = mapped_column(
        value_enum(InstructionStatus, 20),
        default=InstructionStatus.ENTERED,
    )
    create_key: Mapped[str] = mapped_column(String(100))  # idempotency key of the entry
    request_hash: Mapped[str] = mapped_column(String(64))
    details: Mapped[str] = mapped_column(Text)            # canonical JSON shown to the customer
    digest: Mapped[str] = mapped_column(String(64))       # what the step-up factor signs
    debit_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    fee: Mapped[int] = mapped_column(BigInteger, default=0)
    value_date: Mapped[date] = mapped_column(Date)
    entered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    confirm_deadline: Mapped[datetime] = mapped_column(UtcDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    reason_code: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(String(300))
