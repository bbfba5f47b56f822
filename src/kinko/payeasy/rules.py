"""Pure Pay-easy rules: code formats, whether a bill can be paid. No I/O, no clock."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from kinko.payeasy.errors import (
    BillAlreadyPaid,
    BillCancelled,
    BillOverdue,
    InvalidBillCode,
)
from kinko.payeasy.models import BillState

AGENCY_CODE_LENGTH = 5
CUSTOMER_NUMBER_MAX = 20
CONFIRMATION_NUMBER_MAX = 6


@dataclass(frozen=True)
class BillCodes:
    agency_code: str
    customer_number: str
    confirmation_number: str


def _digits(value: object, *, name: str, min_len: int, max_len: int) -> str:
    if not isinstance(value, str):
        raise InvalidBillCode(detail=f"{name} must be text")
    # Customers type these from a paper bill, often in full-width digits or with spaces
    # or hyphens between groups; NFKC turns full-width digits into ASCII ones.
    text = unicodedata.normalize("NFKC", value).replace(" ", "").replace("-", "")
    if not (min_len <= len(text) <= max_len and text.isascii() and text.isdigit()):
        raise InvalidBillCode(detail=name)
    return text


def agency_code(value: object) -> str:
    """収納機関番号: 5 digits."""
    return _digits(value, name="agency_code", min_len=AGENCY_CODE_LENGTH,
                   max_len=AGENCY_CODE_LENGTH)


def customer_number(value: object) -> str:
    """お客様番号: 1–20 digits."""
    return _digits(value, name="customer_number", min_len=1, max_len=CUSTOMER_NUMBER_MAX)


def parse_codes(agency: object, customer: object, confirmation: object) -> BillCodes:
    """The three numbers of a Pay-easy bill, normalised, or :class:`InvalidBillCode`."""
    return BillCodes(agency_code(agency), customer_number(customer),
                     _digits(confirmation, name="confirmation_number", min_len=1,
                             max_len=CONFIRMATION_NUMBER_MAX))


def check_payable(state: BillState, due_date: date, today: date) -> None:
    """A bill can be paid while unpaid and up to its due date (inclusive)."""
    if state is BillState.PAID:
        raise BillAlreadyPaid
    if state is BillState.CANCELLED:
        raise BillCancelled
    if today > due_date:
        raise BillOverdue(detail=f"due {due_date.isoformat()}")


def within_daily_limit(used: int, amount: int, limit: int) -> bool:
    return used + amount <= limit
