"""Tables of bulk and payroll requests: the request, its payee lines, its approvals, and the
contract's payee master."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kinko.db.base import Base, BigId, UtcDateTime, value_enum


class BulkKind(enum.StrEnum):
    BULK = "bulk"          # 総合振込 (21)
    PAYROLL = "payroll"    # 給与振込 (11)
    BONUS = "bonus"        # 賞与振込 (12)


class BulkState(enum.StrEnum):
    PENDING = "pending"            # waiting for approval (APR-1)
    APPROVED = "approved"          # every approval given; runs on the value date
    FUNDED = "funded"              # the funds were set aside by the funding day
    EXECUTING = "executing"        # the debit is booked; payees are being paid
    EXECUTED = "executed"
    NOT_ESTABLISHED = "not_established"  # funds not there in time
    CANCELLED = "cancelled"        # by the customer before the cutoff
    RECALLED = "recalled"          # 組戻 after the cutoff, with its fee
    EXPIRED = "expired"            # approvals missed the cutoff
    REJECTED = "rejected"          # an approver rejected it


class LineState(enum.StrEnum):
    PENDING = "pending"
    CREDITED = "credited"     # own bank: in the payee's account
    SENT = "sent"             # other bank: handed to clearing
    RETURNED = "returned"     # unpayable: the amount came back, the fee stays
    RECALLED = "recalled"     # 組戻 after the run began: the amount came back, recall fee paid


class BulkRequest(Base):
    __tablename__ = "bulk_requests"
    __table_args__ = (
        CheckConstraint("total >= 0", name="total_not_negative"),
        Index("ix_bulk_requests_contract", "contract_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("auth_contracts.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    maker_user_id: Mapped[int] = mapped_column(ForeignKey("auth_users.id"))
    kind: Mapped[BulkKind] = mapped_column(value_enum(BulkKind, 12))
    source: Mapped[str] = mapped_column(String(8))          # form / zengin / csv
    state: Mapped[BulkState] = mapped_column(value_enum(BulkState, 16))
    value_date: Mapped[date] = mapped_column(Date)
    debit_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    remitter_kana: Mapped[str] = mapped_column(String(40))
    count: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(BigInteger)
    fee_total: Mapped[int] = mapped_column(BigInteger)
    own_bank_only: Mapped[bool] = mapped_column(Boolean)
    # SHA-256 of what an approver signs: kind, value date, count, total, payee list digest.
    digest: Mapped[str] = mapped_column(String(64))
    payees_digest: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    approval_mode: Mapped[str] = mapped_column(String(8))
    request_cutoff_at: Mapped[datetime] = mapped_column(UtcDateTime)
    cancel_cutoff_at: Mapped[datetime] = mapped_column(UtcDateTime)
    funding_day: Mapped[date] = mapped_column(Date)
    hold_id: Mapped[int | None] = mapped_column(BigInteger)
    debit_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Chunks of the run not paid yet (set when the run starts; the last chunk ends the run).
    chunks_left: Mapped[int | None] = mapped_column(Integer)


class BulkLine(Base):
    __tablename__ = "bulk_lines"
    __table_args__ = (
        UniqueConstraint("request_id", "line_no"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # No foreign key (migration 0018): a request's lines are written only by its own
    # transaction, right after the request row, and PostgreSQL's per-row check of the key was
    # half the cost of storing them. The run reads them along the (request_id, line_no) key.
    request_id: Mapped[int] = mapped_column(BigId)
    line_no: Mapped[int] = mapped_column(Integer)
    bank_code: Mapped[str] = mapped_column(String(4))
    branch_code: Mapped[str] = mapped_column(String(3))
    account_type: Mapped[str] = mapped_column(String(1))     # Zengin 1 普通 / 2 当座 / 4 貯蓄 / 9
    account_number: Mapped[str] = mapped_column(String(7))
    payee_kana: Mapped[str] = mapped_column(String(30))
    amount: Mapped[int] = mapped_column(BigInteger)
    fee: Mapped[int] = mapped_column(BigInteger)
    own_bank: Mapped[bool] = mapped_column(Boolean)
    edi: Mapped[str | None] = mapped_column(String(140))
    customer_code: Mapped[str | None] = mapped_column(String(20))
    state: Mapped[LineState] = mapped_column(value_enum(LineState, 12))
    reason: Mapped[str | None] = mapped_column(String(120))
    entry_id: Mapped[int | None] = mapped_column(BigInteger)


class BulkApproval(Base):
    """One approval step. Unique per request, version and step: two approvers racing for the
    same step cannot both record it, and an edit (a new version) leaves old approvals void."""

    __tablename__ = "bulk_approvals"
    __table_args__ = (UniqueConstraint("request_id", "version", "step"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("bulk_requests.id"))
    version: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(8))          # single / first / final
    user_id: Mapped[int] = mapped_column(ForeignKey("auth_users.id"))
    digest: Mapped[str] = mapped_column(String(64))
    via_phone: Mapped[bool] = mapped_column(Boolean)
    approved_at: Mapped[datetime] = mapped_column(UtcDateTime)


class BulkPayee(Base):
    """The contract's payee master (振込先マスタ), for the form."""

    __tablename__ = "bulk_payees"
    __table_args__ = (UniqueConstraint("contract_id", "kind", "bank_code", "branch_code",
                                       "account_type", "account_number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("auth_contracts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))          # bulk / payroll
    bank_code: Mapped[str] = mapped_column(String(4))
    branch_code: Mapped[str] = mapped_column(String(3))
    account_type: Mapped[str] = mapped_column(String(1))
    account_number: Mapped[str] = mapped_column(String(7))
    payee_kana: Mapped[str] = mapped_column(String(30))
    edi: Mapped[str | None] = mapped_column(String(140))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
