"""Tables of the corporate services: direct debit and collection (DD-1, DD-2).

A collecting company's agreement (``dd_agreements``) names its 委託者コード, whether it is a
direct debit (payers at this bank) or a collection (payers anywhere, through the collection
agency), and the account that receives the settlement. Payers' 預金口座振替依頼書 are
``dd_mandates``. An uploaded 91 file is a ``dd_batches`` row with one ``dd_items`` row per
record (the debit day never changes them). The debit day decides the items in file order, a
chunk per transaction: the chunk's postings, its ``dd_results`` row (one result code per
item) and the batch's ``decided_through`` are written together, so an item has been decided
exactly once and a rerun starts after the last chunk committed.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kinko.db.base import Base, BigId, UtcDateTime, value_enum


def _enum(cls: type[enum.Enum], length: int = 20) -> Enum:
    return value_enum(cls, length)


class AgreementKind(enum.StrEnum):
    DIRECT_DEBIT = "direct_debit"   # 口座振替 (002 第5条9): payers at this bank
    COLLECTION = "collection"       # 代金回収 (002 第5条10): through the collection agency


class AgreementState(enum.StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


class MandateState(enum.StrEnum):
    ACTIVE = "active"
    STOPPED = "stopped"     # the payer asked to stop (預金者都合)


class BatchState(enum.StrEnum):
    ACCEPTED = "accepted"       # uploaded before the cutoff, waiting for the debit date
    CANCELLED = "cancelled"     # withdrawn by the company before the cutoff
    DEBITING = "debiting"       # the debit date has come; items are being decided
    DEBITED = "debited"         # every item has its result; the result file is ready
    SETTLED = "settled"         # the collected total less fees was paid to the company


class DebitAgreement(Base):
    __tablename__ = "dd_agreements"
    __table_args__ = (UniqueConstraint("originator_code", "kind"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("auth_contracts.id"), index=True)
    kind: Mapped[AgreementKind] = mapped_column(_enum(AgreementKind))
    originator_code: Mapped[str] = mapped_column(String(10))          # 委託者コード
    originator_name: Mapped[str] = mapped_column(String(40))          # 委託者名 (kana)
    settlement_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    state: Mapped[AgreementState] = mapped_column(_enum(AgreementState),
                                                  default=AgreementState.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Mandate(Base):
    """A payer's 預金口座振替依頼書 for one agreement: registered by the collecting company on
    its page (checked against the payer's account: 本人名義の普通・当座, 002 第5条9(3)) or by
    the bank (``registered_by`` empty). One row per payer account and agreement; a withdrawn
    one is ``stopped`` and becomes active again when a new 依頼書 is registered."""

    __tablename__ = "dd_mandates"
    __table_args__ = (UniqueConstraint("agreement_id", "branch_code", "account_number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("dd_agreements.id"))
    branch_code: Mapped[str] = mapped_column(String(3))
    account_number: Mapped[str] = mapped_column(String(7))
    state: Mapped[MandateState] = mapped_column(_enum(MandateState),
                                                default=MandateState.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    payer_name: Mapped[str | None] = mapped_column(String(30))        # 預金者名 (kana)
    customer_number: Mapped[str | None] = mapped_column(String(20))   # 顧客番号
    registered_by: Mapped[int | None] = mapped_column(ForeignKey("auth_users.id"))
    stopped_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class DebitBatch(Base):
    __tablename__ = "dd_batches"
    __table_args__ = (
        UniqueConstraint("agreement_id", "file_digest"),
        Index("ix_dd_batches_state_date", "state", "debit_date"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("dd_agreements.id"), index=True)
    file_digest: Mapped[str] = mapped_column(String(64))     # the same file uploaded twice
    requested_date: Mapped[date] = mapped_column(Date)       # 引落日 in the file
    debit_date: Mapped[date] = mapped_column(Date)           # the business day it happens
    settlement_date: Mapped[date] = mapped_column(Date)
    state: Mapped[BatchState] = mapped_column(_enum(BatchState), default=BatchState.ACCEPTED)
    record_count: Mapped[int] = mapped_column(Integer)
    total_amount: Mapped[int] = mapped_column(BigInteger)
    collected_count: Mapped[int] = mapped_column(Integer, default=0)
    collected_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    fee_total: Mapped[int] = mapped_column(BigInteger, default=0)
    settlement_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("auth_users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    header_json: Mapped[str] = mapped_column(String(1000))   # the 91 header, for the result
    # The items up to this seq have their results (in dd_results); the debit day goes on
    # from the next one.
    decided_through: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class DebitItem(Base):
    __tablename__ = "dd_items"
    __table_args__ = (
        # Also the debit day's way in: the items after the batch's decided_through, in order.
        UniqueConstraint("batch_id", "seq"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("dd_batches.id"))
    seq: Mapped[int] = mapped_column(Integer)                 # record order in the file
    bank_code: Mapped[str] = mapped_column(String(4))
    branch_code: Mapped[str] = mapped_column(String(3))
    account_type: Mapped[str] = mapped_column(String(1))
    account_number: Mapped[str] = mapped_column(String(7))
    payer_name: Mapped[str] = mapped_column(String(30))
    amount: Mapped[int] = mapped_column(BigInteger)
    new_code: Mapped[str] = mapped_column(String(1))
    customer_number: Mapped[str] = mapped_column(String(20))
    # 委託者都合: stopped by the company before the debit day.
    stopped: Mapped[bool] = mapped_column(Boolean, default=False)


class DebitResults(Base):
    """The result codes of one chunk of a batch: ``codes[k]`` is the 振替結果コード of the item
    with seq ``first_seq + k``. Written in the chunk's transaction with its postings; one row
    per chunk instead of an update per item (a 100,000-record file decides 20 rows, not
    100,000 updates)."""

    __tablename__ = "dd_results"

    batch_id: Mapped[int] = mapped_column(ForeignKey("dd_batches.id"), primary_key=True)
    first_seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    codes: Mapped[str] = mapped_column(Text)


# --- electronic delivery (EDOC-1) -------------------------------------------------------------


class DocumentKind(enum.StrEnum):
    NOTICE = "notice"           # お知らせ (e.g. a direct debit settlement)
    RECEIPT = "receipt"         # 領収証書 (local tax)
    FEE_NOTICE = "fee_notice"   # 手数料のお知らせ (not a receipt: 002 第6条4)
    STATEMENT = "statement"     # 取引明細書


class Delivery(enum.StrEnum):
    ELECTRONIC = "electronic"   # 電子交付: on the site as PDF
    PAPER = "paper"             # 書面交付: printed and posted by the bank


class DeliveryChoice(Base):
    """The contract's one switch: every document electronic, or every one on paper."""

    __tablename__ = "edoc_choices"

    contract_id: Mapped[int] = mapped_column(ForeignKey("auth_contracts.id"), primary_key=True)
    delivery: Mapped[Delivery] = mapped_column(_enum(Delivery))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class IssuedDocument(Base):
    """A document issued for a contract (and one of its accounts). Electronic ones are listed
    on the site until the retention period ends, when the batch removes them; paper ones wait
    in the print queue (``printed_at``)."""

    __tablename__ = "edoc_documents"
    __table_args__ = (Index("ix_edoc_documents_contract_issued", "contract_id", "issued_on"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("auth_contracts.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    kind: Mapped[DocumentKind] = mapped_column(_enum(DocumentKind))
    title: Mapped[str] = mapped_column(String(120))
    issued_on: Mapped[date] = mapped_column(Date)
    delivery: Mapped[Delivery] = mapped_column(_enum(Delivery))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    printed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # What made it (e.g. "dd-batch:12"): the same event never issues a document twice.
    source: Mapped[str] = mapped_column(String(100), unique=True)


# --- monthly base fee (FEE-1) -----------------------------------------------------------------


class ChargeState(enum.StrEnum):
    PAID = "paid"
    UNPAID = "unpaid"     # the representative account was short: retried daily (CTR-2 input)


class FeeCharge(Base):
    """One month's base fee of one contract: debited once (unique per month)."""

    __tablename__ = "fee_charges"
    __table_args__ = (UniqueConstraint("contract_id", "month"),
                      Index("ix_fee_charges_state", "state"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("auth_contracts.id"))
    month: Mapped[date] = mapped_column(Date)            # the first day of the month charged
    course: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[ChargeState] = mapped_column(_enum(ChargeState))
    due_on: Mapped[date] = mapped_column(Date)
    paid_on: Mapped[date | None] = mapped_column(Date)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))


# --- local tax (TAX-1) ------------------------------------------------------------------------


class TaxState(enum.StrEnum):
    ACCEPTED = "accepted"     # requested before the cutoff; cancellable until it
    CANCELLED = "cancelled"
    FUNDED = "funded"         # total and fee taken from the representative account
    FAILED = "failed"         # the account was short on the funding day: not paid
    PAID = "paid"             # paid to the municipalities on the payment day


class TaxPayment(Base):
    __tablename__ = "tax_payments"
    __table_args__ = (Index("ix_tax_payments_state_date", "state", "payment_date"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("auth_contracts.id"), index=True)
    payment_date: Mapped[date] = mapped_column(Date)
    funding_date: Mapped[date] = mapped_column(Date)
    receipt_date: Mapped[date] = mapped_column(Date)
    state: Mapped[TaxState] = mapped_column(_enum(TaxState))
    total: Mapped[int] = mapped_column(BigInteger)
    fee: Mapped[int] = mapped_column(BigInteger)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("auth_users.id"))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    funding_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    payment_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    # No foreign key: the receipt document is removed after the retention period.
    receipt_document_id: Mapped[int | None] = mapped_column(BigInteger)


class TaxLine(Base):
    """One municipality's special-collection tax of one month (納入書 1 枚分)."""

    __tablename__ = "tax_lines"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("tax_payments.id"), index=True)
    municipality_code: Mapped[str] = mapped_column(String(6))
    designation_number: Mapped[str] = mapped_column(String(20))   # 特別徴収義務者指定番号
    tax_month: Mapped[date] = mapped_column(Date)                  # the salary month
    employees: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(BigInteger)


# --- contract lifecycle (CTR-1, CTR-2) --------------------------------------------------------


class ContractTerm(Base):
    """The term of a corporate contract: one year from the contract day, renewed for a year
    at a time unless either side objects (002 第15条)."""

    __tablename__ = "contract_terms"

    contract_id: Mapped[int] = mapped_column(ForeignKey("auth_contracts.id"), primary_key=True)
    started_on: Mapped[date] = mapped_column(Date)
    term_end: Mapped[date] = mapped_column(Date)          # the last day of the current term
    renewals: Mapped[int] = mapped_column(Integer, default=0)
    no_renewal_by: Mapped[str | None] = mapped_column(String(20))   # customer / bank
    no_renewal_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(40))


class CandidateReason(enum.StrEnum):
    """Grounds on which the bank may terminate without notice (002 第18条5) that the daily
    review can find in the data."""

    INACTIVE = "inactive"            # (5) no use for a year
    EMAIL_BOUNCING = "email_bouncing"  # (6) e-mail undeliverable for three months
    UNPAID_FEES = "unpaid_fees"      # (4) fees not paid


class CandidateState(enum.StrEnum):
    OPEN = "open"
    DISMISSED = "dismissed"
    TERMINATED = "terminated"


class TerminationCandidate(Base):
    """A contract queued for an operator's decision; one open row per contract and reason."""

    __tablename__ = "contract_termination_candidates"
    __table_args__ = (Index("ix_contract_candidates_state", "state", "found_on"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("auth_contracts.id"), index=True)
    reason: Mapped[CandidateReason] = mapped_column(_enum(CandidateReason))
    detail: Mapped[str] = mapped_column(String(200))
    found_on: Mapped[date] = mapped_column(Date)
    state: Mapped[CandidateState] = mapped_column(_enum(CandidateState),
                                                  default=CandidateState.OPEN)
    decided_by: Mapped[str | None] = mapped_column(String(40))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
