"""Clearing tables (XFER-8, XFER-9).

Two worlds live here and never mix:

* the simulated interbank network: other banks' accounts (``clearing_remote_accounts``) — a
  stand-in for the rest of Japan's banks. Their balances are *not* Kinko money and never
  appear in Kinko's ledger;
* Kinko's side of clearing: the outgoing messages it handed to the network and what became of
  them (``clearing_outgoing``), and the incoming transfers it received — the 振込入金明細
  (``clearing_incoming``), each credited through ``ledger.post`` or returned to the sender.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kinko.db.base import Base, BigId, UtcDateTime, value_enum


def _enum(cls: type[enum.Enum], length: int = 10) -> Enum:
    return value_enum(cls, length)


class DepositType(enum.StrEnum):
    """預金種目 as the Zengin system knows it (codes 1, 2, 4)."""

    ORDINARY = "ordinary"   # 普通 (1)
    CHECKING = "checking"   # 当座 (2)
    SAVINGS = "savings"     # 貯蓄 (4)


class RemoteAccountState(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class RemoteAccount(Base):
    """An account at another bank, in the simulated network only."""

    __tablename__ = "clearing_remote_accounts"
    __table_args__ = (
        UniqueConstraint("bank_code", "branch_code", "account_type", "number"),
        CheckConstraint("balance >= 0", name="balance_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bank_code: Mapped[str] = mapped_column(String(4))
    branch_code: Mapped[str] = mapped_column(String(3))
    account_type: Mapped[DepositType] = mapped_column(_enum(DepositType))
    number: Mapped[str] = mapped_column(String(7))
    holder_kana: Mapped[str] = mapped_column(String(48))
    state: Mapped[RemoteAccountState] = mapped_column(_enum(RemoteAccountState))
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class OutgoingState(enum.StrEnum):
    QUEUED = "queued"       # written with the customer's debit; not yet handed over
    SENT = "sent"           # the network has it; the receiving bank has not answered yet
    ACCEPTED = "accepted"   # credited at the receiving bank
    RETURNED = "returned"   # 振込不能: sent back as unpayable


class OutgoingTransfer(Base):
    """A transfer Kinko sent to another bank, and what the network did with it."""

    __tablename__ = "clearing_outgoing"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # The transfers module's reference: one clearing message per transfer, ever.
    transfer_ref: Mapped[str] = mapped_column(String(100), unique=True)
    bank_code: Mapped[str] = mapped_column(String(4))
    branch_code: Mapped[str] = mapped_column(String(3))
    account_type: Mapped[DepositType] = mapped_column(_enum(DepositType))
    number: Mapped[str] = mapped_column(String(7))
    holder_kana: Mapped[str] = mapped_column(String(48))
    amount: Mapped[int] = mapped_column(BigInteger)
    remitter_kana: Mapped[str] = mapped_column(String(48))
    edi: Mapped[str | None] = mapped_column(String(20))
    state: Mapped[OutgoingState] = mapped_column(_enum(OutgoingState))
    reason_code: Mapped[str | None] = mapped_column(String(30))
    reason: Mapped[str | None] = mapped_column(String(200))
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    remote_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("clearing_remote_accounts.id"))


class IncomingState(enum.StrEnum):
    CREDITED = "credited"
    RETURNED = "returned"   # sent back to the remitting bank; nothing was posted


class IncomingTransfer(Base):
    """振込入金明細: one transfer received from another bank (XFER-9, INQ-1)."""

    __tablename__ = "clearing_incoming"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        # The account's list, newest first, paged by keyset on (value_date, id).
        Index("ix_clearing_incoming_account_date_id", "account_id", "value_date", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # The network's reference of the message: a message delivered twice is received once.
    reference: Mapped[str] = mapped_column(String(100), unique=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    value_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    remitter_kana: Mapped[str] = mapped_column(String(48))
    remitter_bank_code: Mapped[str] = mapped_column(String(4))
    remitter_branch_code: Mapped[str] = mapped_column(String(3))
    edi: Mapped[str | None] = mapped_column(String(20))
    to_branch: Mapped[str] = mapped_column(String(3))
    to_account_type: Mapped[DepositType] = mapped_column(_enum(DepositType))
    to_number: Mapped[str] = mapped_column(String(7))
    state: Mapped[IncomingState] = mapped_column(_enum(IncomingState))
    reason_code: Mapped[str | None] = mapped_column(String(30))
    reason: Mapped[str | None] = mapped_column(String(200))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
