"""Pure debit card rules: card number format (Luhn), masking. No I/O, no clock."""

from __future__ import annotations

import unicodedata

from kinko.debitcards.errors import InvalidCardNumber

MIN_DIGITS = 14
MAX_DIGITS = 19


def luhn_ok(digits: str) -> bool:
    """ISO/IEC 7812 check digit: catches every single-digit slip and most swaps."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def normalise_card_number(value: object) -> str:
    """The card number as 14–19 ASCII digits with a valid check digit, else an error.

    Full-width digits, spaces and hyphens (as printed or typed) are accepted. The error never
    repeats the number: it must not reach a log.
    """
    if not isinstance(value, str):
        raise InvalidCardNumber
    text = unicodedata.normalize("NFKC", value).replace(" ", "").replace("-", "")
    if not (MIN_DIGITS <= len(text) <= MAX_DIGITS and text.isascii() and text.isdigit()):
        raise InvalidCardNumber(detail=f"{MIN_DIGITS}–{MAX_DIGITS} digits")
    if not luhn_ok(text):
        raise InvalidCardNumber(detail="check digit")
    return text


def last4(number: str) -> str:
    return number[-4:]


def masked(last_four: str) -> str:
    """How a card is shown: only its last four digits (``**** **** **** 1234``)."""
    return f"**** **** **** {last_four}"
