"""Time deposits (TD-1): one row per 定期預金, beside its TIME account in the ledger.

The contract rate is fixed at opening (POL-1: a later policy change does not reprice it).
The state moves active → matured or active → cancelled exactly once, by a conditional UPDATE.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from kinko.db.base import Base, BigId, UtcDateTime, value_enum


class DepositState(enum.StrEnum):
    ACTIVE = "active"
    MATURED = "matured"       # paid out at maturity by the batch
    CANCELLED = "cancelled"   # 中途解約 by the customer


class TimeDeposit(Base):
    __tablename__ = "time_deposits"
    __table_args__ = (
        CheckConstraint("principal > 0", name="principal_positive"),
        CheckConstraint("annual_rate_per_100k >= 0", name="rate_not_negative"),
        Index("ix_time_deposits_customer", "customer_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)  # TIME
    payout_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))  # 元利金受取口座
    open_instruction_id: Mapped[int] = mapped_column(ForeignKey("instructions.id"),
                                                     unique=True)
    principal: Mapped[int] = mapped_column(BigInteger)
    term_months: Mapped[int] = mapped_column(Integer)
    annual_rate_per_100k: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[date] = mapped_column(Date)        # 預入日: interest runs from here
    maturity_date: Mapped[date] = mapped_column(Date)     # 満期日
    state: Mapped[DepositState] = mapped_column(
        value_enum(DepositState, 12),
        default=DepositState.ACTIVE,
    )
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_on: Mapped[date | None] = mapped_column(Date)
    close_instruction_id: Mapped[int | None] = mapped_column(ForeignKey("instructions.id"),
                                                             unique=True)
    applied_rate_per_100k: Mapped[int | None] = mapped_column(Integer)
    gross_interest: Mapped[int | None] = mapped_column(BigInteger)
    national_tax: Mapped[int | None] = mapped_column(BigInteger)
    local_tax: Mapped[int | None] = mapped_column(BigInteger)
    payout_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    # The payout account could not take the money at maturity: it went to the suspense book.
    paid_to_suspense: Mapped[bool] = mapped_column(default=False)
