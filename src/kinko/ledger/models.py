"""Ledger tables (LED-1..4).

``accounts.balance`` and ``accounts.held`` are derived state kept in step with postings and
holds in the same transaction; the CHECK constraints are the last line of defence, so that
even a bug cannot push an account past its overdraft line or make a hold negative.
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


def _enum(cls: type[enum.Enum], length: int = 20) -> Enum:
    return value_enum(cls, length)


class AccountType(enum.StrEnum):
    ORDINARY = "ordinary"   # 普通
    CHECKING = "checking"   # 当座
    TIME = "time"           # 定期
    INTERNAL = "internal"   # the bank's own books: cash, clearing, fee income, suspense


class AccountState(enum.StrEnum):
    ACTIVE = "active"
    PAYMENT_STOPPED = "payment_stopped"   # 支払停止: no debits
    DEPOSIT_STOPPED = "deposit_stopped"   # 入金停止: no credits
    SEIZED = "seized"                     # 差押: no debits
    CLOSED = "closed"                     # 解約: nothing


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("branch_code", "number"),
        CheckConstraint("balance >= -overdraft_limit", name="within_overdraft"),
        CheckConstraint("overdraft_limit >= 0", name="overdraft_not_negative"),
        CheckConstraint("held >= 0", name="held_not_negative"),
        CheckConstraint("length(number) = 7", name="number_7_digits"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    branch_code: Mapped[str] = mapped_column(ForeignKey("branches.code"))
    number: Mapped[str] = mapped_column(String(7))
    type: Mapped[AccountType] = mapped_column(_enum(AccountType))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    holder_kana: Mapped[str] = mapped_column(String(48))  # 口座名義 (half-width katakana)
    currency: Mapped[str] = mapped_column(String(3), default="JPY")
    state: Mapped[AccountState] = mapped_column(_enum(AccountState), default=AccountState.ACTIVE)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    held: Mapped[int] = mapped_column(BigInteger, default=0)
    overdraft_limit: Mapped[int] = mapped_column(BigInteger, default=0)  # 当座貸越極度額
    opened_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)


class JournalEntry(Base):
    __tablename__ = "journal_entries"
    # A statement period starts at the first entry of its first value date: found by one probe
    # per day of the period instead of a scan of the whole journal (inquiries.service).
    __table_args__ = (Index("ix_journal_entries_value_date_id", "value_date", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(30))
    memo: Mapped[str] = mapped_column(String(200), default="")
    value_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # A replay with the same key returns this entry; request_hash detects a changed replay.
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    request_hash: Mapped[str | None] = mapped_column(String(64))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))


# On PostgreSQL the two keys of a posting are checked once per statement by a trigger, not by
# these foreign keys (migration 0019: the row-by-row check was two thirds of a batch's
# postings COPY); SQLite keeps them as real foreign keys. The migrations check reads this mark.
CHECKED_PER_STATEMENT_ON_PG = {"checked_per_statement_on_pg": True}


class Posting(Base):
    """One leg of an entry. ``amount`` > 0 credits the account, < 0 debits it."""

    __tablename__ = "postings"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        Index("ix_postings_account_entry", "account_id", "entry_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("journal_entries.id", info=CHECKED_PER_STATEMENT_ON_PG), index=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", info=CHECKED_PER_STATEMENT_ON_PG))
    amount: Mapped[int] = mapped_column(BigInteger)
    balance_after: Mapped[int] = mapped_column(BigInteger)
    # Statement text shown to the customer (摘要), e.g. the remitter's name.
    description: Mapped[str] = mapped_column(String(100), default="")


class HoldState(enum.StrEnum):
    ACTIVE = "active"
    RELEASED = "released"
    CAPTURED = "captured"


class Hold(Base):
    """Money set aside (e.g. a future-dated transfer); it lowers the withdrawable amount."""

    __tablename__ = "holds"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(100))
    state: Mapped[HoldState] = mapped_column(_enum(HoldState), default=HoldState.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))


class BankBook(Base):
    """The bank's own books by role (cash, clearing, fee income, …): internal accounts that
    the other side of customer movements is posted to."""

    __tablename__ = "bank_books"

    role: Mapped[str] = mapped_column(String(30), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
