"""Pure time deposit arithmetic (TD-1): terms, maturity, interest, withholding tax, account
numbers. No I/O, no clock, no floats: every figure is integer yen or an integer rate in
parts per 100,000 (RATE_SCALE).

Interest: simple interest, ``principal × rate × days / (365 × RATE_SCALE)``, rounded down to
the yen. ``days`` counts from the start date (預入日) to the end date without the start day
(片端入れ), 365 in leap years too, as Japanese deposits are computed.

Withholding tax (源泉分離課税, 20.315 % = policy ``withholding_tax_rate_per_100k``):
**the national part and the local part are computed separately, each rounded down to the
yen**, and the withheld tax is their sum. The local part (地方税 利子割) is
:data:`LOCAL_TAX_RATE_PER_100K` = 5 %; the national part (所得税 15 % + 復興特別所得税 0.315 %)
is the policy rate minus the local part. Non-residents pay no local tax (利子割 is levied on
residents only), so for them only the national part is withheld. Rounding each part down is
the usual bank practice (each tax is a separate levy with its own 1円未満切捨て); it can
withhold one yen less than rounding the 20.315 % total once, never more.
"""

from __future__ import annotations

import calendar as pycalendar
from dataclasses import dataclass
from datetime import date

from kinko.deposits.errors import InvalidTerm, PrincipalTooSmall
from kinko.money import MAX_AMOUNT
from kinko.policy import RATE_SCALE

TERMS_MONTHS = (1, 3, 6, 12, 24, 36)
"""The built-in default of the terms offered online (policy deposits.time_deposit_terms_months)."""

MIN_PRINCIPAL = 1_000
"""The smallest time deposit in yen (a Kinko default; the policy has no field for it)."""

LOCAL_TAX_RATE_PER_100K = 5_000
"""地方税 利子割 5 %, fixed by law; the rest of the policy's withholding rate is national."""

EARLY_CANCELLATION_RATE_PER_100K = 20
"""期限前解約利率 0.020 %/year: the built-in default of policy
deposits.early_cancellation_rate_per_100k; an early cancellation never earns more than the
deposit's own contract rate."""

DAYS_PER_YEAR = 365

TIME_NUMBER_FIRST = 7_000_001
TIME_NUMBER_LAST = 7_999_999
"""Time deposit accounts take their 7-digit numbers from this series of the branch."""


@dataclass(frozen=True)
class Interest:
    days: int
    gross: int
    national_tax: int
    local_tax: int

    @property
    def tax(self) -> int:
        return self.national_tax + self.local_tax

    @property
    def net(self) -> int:
        return self.gross - self.tax


def check_term(months: object, offered: tuple[int, ...] = TERMS_MONTHS) -> int:
    """``months`` if it is one of the terms ``offered`` (the policy's, passed by the service)."""
    if type(months) is not int or months not in offered:
        raise InvalidTerm(detail=f"{months!r}; choose from {', '.join(map(str, offered))}"
                                 " months")
    return months


def check_principal(amount: int) -> int:
    if amount < MIN_PRINCIPAL:
        raise PrincipalTooSmall(detail=f"minimum {MIN_PRINCIPAL:,} yen")
    return amount


def add_months(start: date, months: int) -> date:
    """The same day ``months`` later (応当日); the month's last day if it has no such day."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, pycalendar.monthrange(year, month)[1]))


def interest_days(start: date, end: date) -> int:
    """Days of interest from ``start`` to ``end`` (片端入れ); none before the start."""
    return max(0, (end - start).days)


def gross_interest(principal: int, rate_per_100k: int, days: int) -> int:
    """Simple interest in yen, rounded down."""
    if principal < 0 or rate_per_100k < 0 or days < 0:
        raise ValueError("principal, rate and days must not be negative")
    return principal * rate_per_100k * days // (RATE_SCALE * DAYS_PER_YEAR)


def withholding(gross: int, tax_rate_per_100k: int, *, resident: bool) -> tuple[int, int]:
    """(national, local) tax on ``gross`` interest, each rounded down (see the module doc)."""
    if gross < 0 or not 0 <= tax_rate_per_100k <= RATE_SCALE:
        raise ValueError("interest must not be negative and the rate must be 0–100 %")
    local_rate = min(LOCAL_TAX_RATE_PER_100K, tax_rate_per_100k)
    national_rate = tax_rate_per_100k - local_rate
    national = gross * national_rate // RATE_SCALE
    local = gross * local_rate // RATE_SCALE if resident else 0
    return national, local


def interest(principal: int, rate_per_100k: int, start: date, end: date, *,
             tax_rate_per_100k: int, resident: bool) -> Interest:
    days = interest_days(start, end)
    gross = gross_interest(principal, rate_per_100k, days)
    national, local = withholding(gross, tax_rate_per_100k, resident=resident)
    return Interest(days, gross, national, local)


def early_cancellation_rate(contract_rate_per_100k: int,
                            early_rate_per_100k: int = EARLY_CANCELLATION_RATE_PER_100K) -> int:
    """The rate an early cancellation earns: the bank's early rate, never more than the
    deposit's own."""
    return min(early_rate_per_100k, contract_rate_per_100k)


def next_free_number(highest: int | None, used: list[int] | None = None, *,
                     first: int = TIME_NUMBER_FIRST, last: int = TIME_NUMBER_LAST
                     ) -> int | None:
    """The next number of the series after the highest used one; when the series' top is
    taken, the lowest gap in ``used`` (sorted numbers of the series); None when it is full.
    """
    if highest is None or highest < first:
        return first
    if highest < last:
        return highest + 1
    expected = first
    for number in used or []:
        if number > expected:
            return expected
        expected = max(expected, number + 1)
    return expected if expected <= last else None


def payout_legs_amounts(principal: int, result: Interest) -> dict[str, int]:
    """The signed amount per role of the payout entry (zero roles left out): the time account
    is emptied, the payee gets principal + net interest, interest expense pays the gross,
    the tax book keeps the withheld tax."""
    amounts = {"time": -principal, "payee": principal + result.net,
               "interest_expense": -result.gross, "tax_withheld": result.tax}
    assert sum(amounts.values()) == 0 and 0 < principal <= MAX_AMOUNT
    return {k: v for k, v in amounts.items() if v != 0}
