"""Money as integer minor units (LED-1). JPY has no minor unit, so one unit is one yen.

There is deliberately no float path: parsing refuses anything that is not an exact integer.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator

from kinko.errors import DomainError

# Japanese keyboards type full-width digits and separators (１，０００円, ￥１０００). Only these
# characters are folded: NFKC would also turn ① or ² into digits, which no customer means.
_FULL_WIDTH = str.maketrans({**{chr(0xFF10 + d): str(d) for d in range(10)},
                             "，": ",", "、": ",", "￥": "", "¥": "", "\u3000": " "})

MINOR_UNITS = {"JPY": 0, "USD": 2, "EUR": 2, "CNY": 2, "GBP": 2}

_AMOUNT = re.compile(r"^[0-9]{1,15}$")
# The largest amount any single field may carry: 15 digits, far above any real balance, and
# well inside a 64-bit integer so sums of many amounts cannot overflow BIGINT.
MAX_AMOUNT = 999_999_999_999_999


class InvalidAmount(DomainError):
    code = "MONEY_INVALID_AMOUNT"
    status = 422
    message_ja = "金額が正しくありません。"


def parse_yen(value: Any, *, allow_zero: bool = False) -> int:
    """Return ``value`` as a positive integer yen amount or raise :class:`InvalidAmount`.

    Accepts ints and digit strings, with optional thousands separators (``1,000``), a leading
    yen sign and a trailing ``円``, in half- or full-width characters (``１，０００円``).
    Refuses floats, negatives, decimals, booleans and anything over :data:`MAX_AMOUNT`.
    """
    if isinstance(value, bool):
        raise InvalidAmount(detail=f"{value!r}")
    if isinstance(value, int):
        amount = value
    elif isinstance(value, str):
        text = value.translate(_FULL_WIDTH).strip().replace(",", "").removesuffix("円").strip()
        if not _AMOUNT.match(text):
            raise InvalidAmount(detail=repr(value))
        amount = int(text)
    else:
        raise InvalidAmount(detail=f"{type(value).__name__} is not an amount")
    if amount < 0 or amount > MAX_AMOUNT or (amount == 0 and not allow_zero):
        raise InvalidAmount(detail=repr(value))
    return amount


def format_yen(amount: int) -> str:
    """``1234567`` → ``"1,234,567円"`` (negative balances keep their sign)."""
    return f"{amount:,}円"


def _validate_yen(value: Any) -> int:
    # pydantic turns ValueError into a field error (422 VALIDATION_FAILED naming the field).
    try:
        return parse_yen(value)
    except InvalidAmount as exc:
        raise ValueError(f"{InvalidAmount.message_ja} / {InvalidAmount.message_en}") from exc


Yen = Annotated[int, BeforeValidator(_validate_yen)]
"""A pydantic field type: a positive integer yen amount."""
