"""Time deposit arithmetic (TD-1): interest, withholding tax and its rounding, terms and dates,
account numbers. Pure functions, so properties over many inputs."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kinko.deposits import rules
from kinko.deposits.errors import InvalidTerm, PrincipalTooSmall
from kinko.money import MAX_AMOUNT
from kinko.policy import RATE_SCALE

pytestmark = pytest.mark.req("TD-1")

principals = st.integers(min_value=1, max_value=10**12)
rates = st.integers(min_value=0, max_value=RATE_SCALE)
tax_rates = st.integers(min_value=0, max_value=RATE_SCALE)
days = st.integers(min_value=0, max_value=3_700)


@given(principals, rates, days, tax_rates, st.booleans())
def test_interest_and_tax_are_whole_yen_never_negative_and_tax_never_exceeds_interest(
        principal: int, rate: int, n: int, tax_rate: int, resident: bool) -> None:
    start = date(2026, 1, 1)
    result = rules.interest(principal, rate, start, start + timedelta(days=n),
                            tax_rate_per_100k=tax_rate, resident=resident)
    for figure in (result.gross, result.national_tax, result.local_tax, result.net):
        assert type(figure) is int and figure >= 0
    assert result.tax <= result.gross and result.net + result.tax == result.gross


@given(principals, rates, days)
def test_gross_interest_is_simple_interest_over_365_rounded_down(
        principal: int, rate: int, n: int) -> None:
    exact = Fraction(principal * rate * n, RATE_SCALE * 365)
    gross = rules.gross_interest(principal, rate, n)
    assert gross <= exact < gross + 1


@given(principals, rates, days, days)
def test_more_days_never_earn_less(principal: int, rate: int, a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert rules.gross_interest(principal, rate, low) <= rules.gross_interest(principal, rate,
                                                                              high)


@given(st.integers(min_value=0, max_value=10**12), tax_rates)
def test_national_and_local_are_each_rounded_down(gross: int, tax_rate: int) -> None:
    national, local = rules.withholding(gross, tax_rate, resident=True)
    local_rate = min(rules.LOCAL_TAX_RATE_PER_100K, tax_rate)
    assert national == Fraction(gross * (tax_rate - local_rate), RATE_SCALE).__floor__()
    assert local == Fraction(gross * local_rate, RATE_SCALE).__floor__()
    once = gross * tax_rate // RATE_SCALE  # rounding the total once
    assert once - 1 <= national + local <= once


@given(st.integers(min_value=0, max_value=10**12))
def test_non_residents_pay_only_the_national_part(gross: int) -> None:
    national, local = rules.withholding(gross, 20_315, resident=False)
    assert local == 0 and national == gross * 15_315 // RATE_SCALE


def test_the_worked_example_of_the_docs() -> None:
    """1,000,000 yen for one year at 0.250 %: 2,500 yen; national 382, local 125; net 1,993."""
    result = rules.interest(1_000_000, 250, date(2026, 11, 20), date(2027, 11, 20),
                            tax_rate_per_100k=20_315, resident=True)
    assert (result.days, result.gross, result.national_tax, result.local_tax, result.net) == (
        365, 2_500, 382, 125, 1_993)


def test_separate_rounding_can_withhold_one_yen_less_than_rounding_the_total() -> None:
    """10 yen of interest: 1.5315 → 1 national, 0.5 → 0 local (the total 2.0315 would be 2)."""
    assert rules.withholding(10, 20_315, resident=True) == (1, 0)


def test_no_interest_before_the_start_date() -> None:
    assert rules.interest_days(date(2026, 11, 24), date(2026, 11, 20)) == 0


def test_early_cancellation_never_earns_more_than_the_contract() -> None:
    assert rules.early_cancellation_rate(250) == rules.EARLY_CANCELLATION_RATE_PER_100K
    assert rules.early_cancellation_rate(5) == 5


@pytest.mark.parametrize(("start", "months", "maturity"), [
    (date(2026, 11, 20), 1, date(2026, 12, 20)),
    (date(2026, 11, 20), 3, date(2027, 2, 20)),
    (date(2026, 1, 31), 1, date(2026, 2, 28)),     # no 31 February: the month's last day
    (date(2027, 8, 31), 6, date(2028, 2, 29)),     # leap year
    (date(2026, 11, 20), 12, date(2027, 11, 20)),
    (date(2026, 12, 15), 36, date(2029, 12, 15)),
])
def test_maturity_is_the_corresponding_day(start: date, months: int, maturity: date) -> None:
    assert rules.add_months(start, months) == maturity


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)),
       st.sampled_from(rules.TERMS_MONTHS))
def test_maturity_is_later_and_in_the_right_month(start: date, months: int) -> None:
    maturity = rules.add_months(start, months)
    assert maturity > start
    assert (maturity.year - start.year) * 12 + maturity.month - start.month == months


@pytest.mark.parametrize("term", [0, 2, 13, "3", 3.0, True])
def test_only_the_banks_terms_are_accepted(term: object) -> None:
    with pytest.raises(InvalidTerm):
        rules.check_term(term)


def test_a_principal_below_the_minimum_is_refused() -> None:
    with pytest.raises(PrincipalTooSmall):
        rules.check_principal(rules.MIN_PRINCIPAL - 1)
    assert rules.check_principal(rules.MIN_PRINCIPAL) == rules.MIN_PRINCIPAL


@given(st.lists(st.integers(min_value=1, max_value=30), max_size=30, unique=True))
def test_the_next_number_is_free_and_inside_the_series(used: list[int]) -> None:
    taken = sorted(used)
    highest = taken[-1] if taken else None
    number = rules.next_free_number(highest, taken, first=1, last=30)
    if len(taken) == 30:
        assert number is None
    else:
        assert number is not None and 1 <= number <= 30 and number not in taken
        if highest is not None and highest < 30:
            assert number == highest + 1


def test_payout_legs_balance_and_leave_out_zero_roles() -> None:
    result = rules.Interest(365, 2_500, 382, 125)
    assert rules.payout_legs_amounts(1_000_000, result) == {
        "time": -1_000_000, "payee": 1_001_993, "interest_expense": -2_500,
        "tax_withheld": 507}
    assert rules.payout_legs_amounts(MAX_AMOUNT // 2, rules.Interest(0, 0, 0, 0)) == {
        "time": -(MAX_AMOUNT // 2), "payee": MAX_AMOUNT // 2}
