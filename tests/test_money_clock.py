"""LED-1 integer money and CAL-1 Japan time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from kinko import clock
from kinko.money import MAX_AMOUNT, InvalidAmount, Yen, format_yen, parse_yen


@pytest.mark.req("LED-1")
@pytest.mark.parametrize(("text", "expected"), [
    ("1000", 1000), ("1,000", 1000), (" 12,345円 ", 12345), (7, 7), (str(MAX_AMOUNT), MAX_AMOUNT),
    # Japanese keyboards: full-width digits, separators and yen signs.
    ("１０００", 1000), ("１，０００", 1000), ("￥１，０００", 1000), ("１２，３４５円", 12345),
    ("¥1,000", 1000), ("\u3000５００\u3000", 500),
])
def test_amounts_parse_to_integer_yen(text: object, expected: int) -> None:
    assert parse_yen(text) == expected


@pytest.mark.req("LED-1")
@pytest.mark.parametrize("bad", [
    "1.5", 1.5, "-1", -1, 0, "0", "", "abc", "1e3", True, None, Decimal("10"),
    str(MAX_AMOUNT + 1), "10 00", "①", "²", "１．５", "－１", "１０ ００",
])
def test_malformed_amounts_are_refused(bad: object) -> None:
    with pytest.raises(InvalidAmount) as info:
        parse_yen(bad)
    assert info.value.code == "MONEY_INVALID_AMOUNT" and info.value.status == 422


@pytest.mark.req("LED-1")
@given(st.integers(min_value=1, max_value=MAX_AMOUNT))
def test_formatted_amounts_parse_back(amount: int) -> None:
    assert parse_yen(format_yen(amount)) == amount


@pytest.mark.req("LED-1")
def test_yen_field_refuses_floats_in_request_bodies() -> None:
    class Body(BaseModel):
        amount: Yen

    assert Body(amount="3,000").amount == 3000
    with pytest.raises(ValidationError):
        Body(amount=3000.0)  # type: ignore[arg-type]


@pytest.mark.req("CAL-1")
def test_clock_is_japan_time_and_can_be_frozen_and_moved() -> None:
    assert clock.now().utcoffset() == timedelta(hours=9)
    clock.set_now(datetime(2026, 12, 31, 15, 30, tzinfo=UTC))  # 00:30 JST next day
    assert clock.today().isoformat() == "2027-01-01"
    clock.advance(timedelta(hours=1))
    assert clock.now().hour == 1
    with clock.frozen(datetime(2026, 1, 5, 9, 0)):  # naive means JST
        assert clock.now().isoformat() == "2026-01-05T09:00:00+09:00"
    assert clock.now().hour == 1


@pytest.mark.req("CAL-1")
def test_parse_moment_reads_dates_as_midnight_jst() -> None:
    assert clock.parse_moment("2026-04-01").isoformat() == "2026-04-01T00:00:00+09:00"
    assert clock.parse_moment("2026-04-01T09:30").hour == 9
    with pytest.raises(ValueError):
        clock.parse_moment("not-a-date")
