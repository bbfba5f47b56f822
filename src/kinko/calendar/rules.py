"""Bank business days (CAL-1, CAL-2): pure date arithmetic, no clock and no I/O.

A bank holiday (銀行休業日) is a Saturday, a Sunday, a national holiday under the 祝日法 —
including substitute holidays (振替休日) and citizens' holidays (国民の休日), both of which
jpholiday computes — a year-end/new-year day (31 Dec – 3 Jan), or a closing day the bank adds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache

import jpholiday

from kinko.clock import JST

# The 祝日法 took effect in July 1948, so 1949 is the first whole year it describes. Equinox
# days are fixed by the Cabinet only a year ahead; beyond 2099 jpholiday's dates are
# projections nobody should book money against.
MIN_YEAR = 1949
MAX_YEAR = 2099

_ONE_DAY = timedelta(days=1)
_YEAR_END = frozenset({(12, 31), (1, 1), (1, 2), (1, 3)})


class CalendarRangeError(ValueError):
    """A date outside the years the bank calendar knows (:data:`MIN_YEAR`–:data:`MAX_YEAR`)."""


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise CalendarRangeError(
            f"year {year} is outside the bank calendar ({MIN_YEAR}-{MAX_YEAR})"
        )


@cache
def _national_holidays(year: int) -> dict[date, str]:
    # jpholiday walks every day of the year through every rule (tens of milliseconds), so a
    # value-date loop must only ever pay that once per year.
    _check_year(year)
    names: dict[date, str] = {}
    for day, name in jpholiday.year_holidays(year):
        names.setdefault(day, name)
    return names


def national_holiday_name(day: date) -> str | None:
    """The national holiday's name (e.g. ``国民の休日``), or ``None`` on any other day."""
    return _national_holidays(day.year).get(day)


@dataclass(frozen=True, slots=True, init=False)
class BankCalendar:
    """The bank's business days. Immutable, so one instance can be shared by every thread.

    ``extra_closing_days`` are the days the bank closes on top of the statutory ones
    (臨時休業日); they come from the policy in force (see :func:`kinko.calendar.get_calendar`).
    """

    extra_closing_days: frozenset[date]

    def __init__(self, extra_closing_days: Iterable[date] = ()) -> None:
        days = frozenset(extra_closing_days)
        for day in days:
            if isinstance(day, datetime) or not isinstance(day, date):
                raise TypeError(f"extra closing day {day!r} is not a date")
        object.__setattr__(self, "extra_closing_days", days)

    # -- what kind of day ------------------------------------------------------------------

    def closing_reason(self, day: date) -> str | None:
        """Why the bank is closed on ``day`` (Japanese label), or ``None`` on a business day."""
        _check_year(day.year)
        name = _national_holidays(day.year).get(day)
        if name is not None:
            return name
        if (day.month, day.day) in _YEAR_END:
            return "年末年始"
        if day in self.extra_closing_days:
            return "臨時休業日"
        weekday = day.weekday()
        if weekday == 5:
            return "土曜日"
        if weekday == 6:
            return "日曜日"
        return None

    def is_business_day(self, day: date) -> bool:
        # Cheapest tests first: this runs inside every value-date and settlement loop.
        if day.weekday() >= 5:
            _check_year(day.year)
            return False
        if (day.month, day.day) in _YEAR_END:
            _check_year(day.year)
            return False
        if day in _national_holidays(day.year):
            return False
        return day not in self.extra_closing_days

    def holidays(self, year: int) -> tuple[date, ...]:
        """Every date of ``year`` that is not a business day (weekends included), in order."""
        _check_year(year)
        day = date(year, 1, 1)
        closed: list[date] = []
        while day.year == year:
            if not self.is_business_day(day):
                closed.append(day)
            day += _ONE_DAY
        return tuple(closed)

    # -- moving between business days -----------------------------------------------------

    def next_business_day(self, day: date) -> date:
        """The first business day strictly after ``day``."""
        day += _ONE_DAY
        while not self.is_business_day(day):
            day += _ONE_DAY
        return day

    def this_or_next_business_day(self, day: date) -> date:
        """``day`` itself if it is a business day, else the next one (a holiday rolls forward)."""
        return day if self.is_business_day(day) else self.next_business_day(day)

    def previous_business_day(self, day: date) -> date:
        """The last business day strictly before ``day``."""
        day -= _ONE_DAY
        while not self.is_business_day(day):
            day -= _ONE_DAY
        return day

    def this_or_previous_business_day(self, day: date) -> date:
        """``day`` itself if it is a business day, else the previous one."""
        return day if self.is_business_day(day) else self.previous_business_day(day)

    def add_business_days(self, day: date, n: int) -> date:
        """The ``n``-th business day after ``day`` (``n`` < 0: the ``-n``-th before it).

        Counting never includes ``day`` itself, so from a holiday ``+1`` is the next business
        day and ``-1`` the previous one. ``n == 0`` rolls a holiday forward to the next
        business day (a business day is returned unchanged), matching how an instruction made
        on a holiday is processed on the next business day (INS-3).
        """
        if n == 0:
            return self.this_or_next_business_day(day)
        step = self.next_business_day if n > 0 else self.previous_business_day
        for _ in range(abs(n)):
            day = step(day)
        return day

    def business_days_between(self, start: date, end: date) -> int:
        """How many business days lie after ``start`` up to and including ``end``.

        Negative when ``end`` is before ``start`` (then: business days after ``end`` up to and
        including ``start``, negated), so ``business_days_between(d, add_business_days(d, n))``
        is ``n`` for every ``n > 0``, and for every ``n`` when ``d`` is a business day.
        """
        if end < start:
            return -self.business_days_between(end, start)
        count = 0
        day = start + _ONE_DAY
        while day <= end:
            if self.is_business_day(day):
                count += 1
            day += _ONE_DAY
        return count

    def iter_business_days(self, start: date, end: date) -> Iterator[date]:
        """Every business day from ``start`` to ``end``, both included."""
        day = start
        while day <= end:
            if self.is_business_day(day):
                yield day
            day += _ONE_DAY

    # -- cutoffs ----------------------------------------------------------------------------

    def processing_date(self, moment: datetime, cutoff: time) -> date:
        """The business date an instruction made at ``moment`` is processed on (INS-3).

        Before ``cutoff`` (Japan time) on a business day → that day; at or after the cutoff,
        or on any day the bank is closed → the next business day.
        """
        local = _japan_time(moment)
        day = local.date()
        if self.is_business_day(day) and local.time() < cutoff:
            return day
        return self.next_business_day(day)

    def deadline(self, target: date, business_days_before: int, at: time) -> datetime:
        """The moment (Japan time) ``business_days_before`` business days before ``target``
        at time of day ``at``: e.g. a bulk transfer's 17:00 on the previous business day.
        """
        if business_days_before < 0:
            raise ValueError("business_days_before must not be negative")
        day = self.add_business_days(target, -business_days_before)
        return datetime.combine(day, at, JST)


def _japan_time(moment: datetime) -> datetime:
    # A naive datetime here is almost always a bug (datetime.utcnow() or a DB value that lost
    # its zone); guessing its zone would shift cutoffs by nine hours, so refuse it.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no time zone; pass an aware datetime (kinko.clock)")
    return moment.astimezone(JST)
