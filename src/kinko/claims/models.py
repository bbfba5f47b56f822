"""Claims tables: the claim, its transactions, and the year's compensation per customer."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kinko.db.base import Base, BigId, UtcDateTime, value_enum


class ClaimKind(enum.StrEnum):
    FRAUD = "fraud"                       # unauthorized transfers (CLM-1..9)
    PROCESSING_ERROR = "processing_error"  # the bank's own processing error (CLM-10)


class ClaimState(enum.StrEnum):
    RECEIVED = "received"
    INVESTIGATING = "investigating"
    DECIDED = "decided"     # approved by a second operator, compensation > 0
    PAID = "paid"           # paid through the ledger (approved by a second operator)
    REJECTED = "rejected"   # decided with nothing to pay, or refused by the bank


OPEN_STATES = (ClaimState.RECEIVED, ClaimState.INVESTIGATING, ClaimState.DECIDED)


class Claim(Base):
    __tablename__ = "claims"
    __table_args__ = (
        Index("ix_claims_state_created", "state", "created_at"),
        Index("ix_claims_customer", "customer_id", "created_at"),
        CheckConstraint("compensation IS NULL OR compensation >= 0",
                        name="compensation_not_negative"),
        CheckConstraint("unavoidable_delay_days >= 0", name="delay_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[ClaimKind] = mapped_column(value_enum(ClaimKind, 20))
    state: Mapped[ClaimState] = mapped_column(value_enum(ClaimState, 20))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    contract_id: Mapped[int] = mapped_column(ForeignKey("auth_contracts.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("auth_users.id"))
    product: Mapped[str] = mapped_column(String(20))       # the engine's product profile
    channel: Mapped[str] = mapped_column(String(10))       # web / api / phone / branch
    notified_on: Mapped[date] = mapped_column(Date)
    noticed_on: Mapped[date] = mapped_column(Date)
    stolen_on: Mapped[date | None] = mapped_column(Date)
    unavoidable_delay_days: Mapped[int] = mapped_column(Integer, default=0)
    delay_reason: Mapped[str] = mapped_column(String(500), default="")
    police_report_ref: Mapped[str] = mapped_column(String(60), default="")
    explanation: Mapped[str] = mapped_column(Text, default="")
    compromise_report_id: Mapped[int | None] = mapped_column(
        ForeignKey("auth_compromise_reports.id"))
    # What Kinko cannot know, recorded by the operator (canonical JSON) with a note.
    findings: Mapped[str | None] = mapped_column(Text)
    findings_note: Mapped[str] = mapped_column(Text, default="")
    # The case document and the engine's decision, as approved (canonical JSON).
    case_document: Mapped[str | None] = mapped_column(Text)
    decision: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(10))   # full / partial / reduced / none
    compensation: Mapped[int | None] = mapped_column(BigInteger)
    cap_year: Mapped[int | None] = mapped_column(Integer)
    credit_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    # CLM-10: the delayed amount and the days of delay.
    delayed_amount: Mapped[int | None] = mapped_column(BigInteger)
    delay_days: Mapped[int | None] = mapped_column(Integer)
    reported_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_by_request_id: Mapped[int | None] = mapped_column(BigInteger)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    paid_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    rejection_reason: Mapped[str | None] = mapped_column(String(500))


class ClaimTransaction(Base):
    """One transaction the customer says was not theirs, and what the claim did to it."""

    __tablename__ = "claim_transactions"
    __table_args__ = (
        UniqueConstraint("claim_id", "instruction_id"),
        Index("ix_claim_transactions_instruction", "instruction_id"),
        CheckConstraint("lapsed_amount >= 0 AND subrogated_amount >= 0",
                        name="recorded_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"))
    instruction_id: Mapped[int] = mapped_column(ForeignKey("instructions.id"))
    # The operator's classification of the payee, when Kinko's own is not the whole story.
    payee_override: Mapped[str | None] = mapped_column(String(30))
    payee_note: Mapped[str] = mapped_column(String(500), default="")
    # CLM-9, at payment: the customer's rights on the target deposit lapse to this amount,
    # and the bank acquires the claims against the perpetrator to this amount.
    lapsed_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    subrogated_amount: Mapped[int] = mapped_column(BigInteger, default=0)


class CompensationYear(Base):
    """What a customer was compensated in one cap year (CLM-5's annual cap)."""

    __tablename__ = "claim_compensation_years"
    __table_args__ = (CheckConstraint("total >= 0", name="total_not_negative"),)

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    total: Mapped[int] = mapped_column(BigInteger, default=0)
