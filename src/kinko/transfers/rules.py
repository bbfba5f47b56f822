"""Pure transfer rules: classification, value dates, limits. No I/O, no clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kinko.calendar import BankCalendar
from kinko.policy import FeeDestination
from kinko.transfers.errors import (
    InvalidPayee,
    InvalidValueDate,
    LimitExceeded,
    LimitRaiseNotAllowed,
)

ACCOUNT_TYPES = {"ordinary": "普通", "checking": "当座", "savings": "貯蓄"}


def check_payee_fields(bank_code: str, branch_code: str, account_type: str, number: str) -> None:
    for value, size, name in ((bank_code, 4, "bank code"), (branch_code, 3, "branch code"),
                              (number, 7, "account number")):
        if not (len(value) == size and value.isascii() and value.isdigit()):
            raise InvalidPayee(detail=f"{name} must be {size} digits")
    if account_type not in ACCOUNT_TYPES:
        raise InvalidPayee(detail=f"account type must be one of {', '.join(ACCOUNT_TYPES)}")


@dataclass(frozen=True)
class Classification:
    kind: str                    # "furikae" (振替) or "furikomi" (振込)
    destination: FeeDestination


def classify(*, own_bank_code: str, from_branch: str, from_holder: str, to_bank: str,
             to_branch: str, to_holder: str) -> Classification:
    """XFER-1: same bank, same branch and same name → 振替; anything else → 振込."""
    if to_bank != own_bank_code:
        return Classification("furikomi", FeeDestination.OTHER_BANK)
    if to_branch != from_branch:
        return Classification("furikomi", FeeDestination.OTHER_BRANCH)
    if _name(to_holder) == _name(from_holder):
        return Classification("furikae", FeeDestination.OWN_BRANCH)
    return Classification("furikomi", FeeDestination.OWN_BRANCH)


def _name(kana: str) -> str:
    return "".join(kana.split())


def check_value_date(value_date: date, *, processing_date: date, calendar: BankCalendar,
                     max_business_days: int) -> None:
    """XFER-3: a business day from the processing date up to +N business days."""
    last = calendar.add_business_days(processing_date, max_business_days)
    if not calendar.is_business_day(value_date):
        raise InvalidValueDate(detail=f"{value_date} is not a business day")
    if not processing_date <= value_date <= last:
        raise InvalidValueDate(detail=f"{value_date} is outside {processing_date} … {last}")


@dataclass(frozen=True)
class Limits:
    per_transaction: int
    daily: int


def effective_limits(bank: Limits, *chosen: Limits | None) -> Limits:
    """The lowest of the bank's maximum and every limit the customer chose (XFER-6)."""
    per_tx, daily = bank.per_transaction, bank.daily
    for limit in chosen:
        if limit is not None:
            per_tx, daily = min(per_tx, limit.per_transaction), min(daily, limit.daily)
    return Limits(per_tx, daily)


def is_raise(new: Limits, current: Limits) -> bool:
    """True when ``new`` allows more than ``current`` in either dimension: only raising a
    limit needs a second factor (XFER-6); lowering one can only protect the customer."""
    return new.per_transaction > current.per_transaction or new.daily > current.daily


def check_per_transaction(amount: int, limits: Limits) -> None:
    if amount > limits.per_transaction:
        raise LimitExceeded(detail=f"{amount:,} > per-transaction limit "
                                   f"{limits.per_transaction:,}")


def check_new_limits(new: Limits, bank: Limits) -> None:
    if new.per_transaction < 0 or new.daily < 0:
        raise LimitRaiseNotAllowed(detail="limits cannot be negative")
    if new.per_transaction > bank.per_transaction or new.daily > bank.daily:
        raise LimitRaiseNotAllowed(detail=f"bank maximum {bank.per_transaction:,} per "
                                          f"transaction, {bank.daily:,} per day")
    if new.per_transaction > new.daily:
        raise LimitRaiseNotAllowed(detail="the per-transaction limit exceeds the daily limit")
