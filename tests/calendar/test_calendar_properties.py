"""Properties of business-day arithmetic over many dates (CAL-2)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from kinko.calendar import BankCalendar

# Wide enough to cross many year ends and Golden Weeks, narrow enough that the per-year
# holiday lookups stay cheap.
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))
steps = st.integers(min_value=-400, max_value=400)
closing = st.frozensets(
    st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)), max_size=20
)


@given(day=days, extra=closing)
def test_next_business_day_is_a_business_day_after_day(day: date, extra: frozenset[date]) -> None:
    """CAL-2"""
    cal = BankCalendar(extra)
    nxt = cal.next_business_day(day)
    assert nxt > day
    assert cal.is_business_day(nxt)
    # nothing in between is open
    assert all(not cal.is_business_day(day + timedelta(days=i)) for i in range(1, (nxt - day).days))


@given(day=days, extra=closing)
def test_previous_business_day_is_a_business_day_before_day(
    day: date, extra: frozenset[date]
) -> None:
    """CAL-2"""
    cal = BankCalendar(extra)
    prev = cal.previous_business_day(day)
    assert prev < day
    assert cal.is_business_day(prev)
    assert cal.next_business_day(prev) >= day


@given(day=days, n=steps, extra=closing)
def test_add_then_subtract_returns_to_a_business_day(
    day: date, n: int, extra: frozenset[date]
) -> None:
    """CAL-2: add(add(d, n), -n) == d for a business day d."""
    cal = BankCalendar(extra)
    start = cal.this_or_next_business_day(day)
    assert cal.add_business_days(cal.add_business_days(start, n), -n) == start


@given(day=days, n=steps, extra=closing)
def test_add_lands_on_a_business_day_n_business_days_away(
    day: date, n: int, extra: frozenset[date]
) -> None:
    """CAL-2"""
    cal = BankCalendar(extra)
    result = cal.add_business_days(day, n)
    assert cal.is_business_day(result)
    if n > 0:
        assert result > day
        assert cal.business_days_between(day, result) == n
    elif n < 0:
        assert result < day
        if cal.is_business_day(day):
            assert cal.business_days_between(day, result) == n


@given(day=days, a=st.integers(1, 200), b=st.integers(1, 200))
def test_adding_is_additive_for_positive_steps(day: date, a: int, b: int) -> None:
    """CAL-2"""
    cal = BankCalendar()
    assert cal.add_business_days(cal.add_business_days(day, a), b) == cal.add_business_days(
        day, a + b
    )


@given(day=days)
def test_zero_rolls_forward_to_this_or_next(day: date) -> None:
    """CAL-2"""
    cal = BankCalendar()
    assert cal.add_business_days(day, 0) == cal.this_or_next_business_day(day)


@given(start=days, span=st.integers(-800, 800))
def test_between_is_antisymmetric_and_counts_iterated_days(start: date, span: int) -> None:
    """CAL-2"""
    cal = BankCalendar()
    end = start + timedelta(days=span)
    assert cal.business_days_between(start, end) == -cal.business_days_between(end, start)
    if start <= end:
        assert cal.business_days_between(start, end) == len(
            list(cal.iter_business_days(start + timedelta(days=1), end))
        )
