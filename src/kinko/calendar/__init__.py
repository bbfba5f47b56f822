"""Bank calendar (CAL-1, CAL-2).

``get_calendar()`` is the calendar of the policy in force (its extra closing days); the
:class:`BankCalendar` methods do the business-day arithmetic.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from kinko.calendar.rules import (
    MAX_YEAR,
    MIN_YEAR,
    BankCalendar,
    CalendarRangeError,
    national_holiday_name,
)
from kinko.policy.store import policy_at, version_at

__all__ = [
    "MAX_YEAR",
    "MIN_YEAR",
    "BankCalendar",
    "CalendarRangeError",
    "get_calendar",
    "national_holiday_name",
]


@lru_cache(maxsize=32)
def _calendar(extra_closing_days: tuple[date, ...]) -> BankCalendar:
    return BankCalendar(extra_closing_days)


def get_calendar(at: datetime | None = None) -> BankCalendar:
    """The bank calendar of the policy in force at ``at`` (default: now).

    Pass the moment the decision is made (e.g. when an instruction is entered), not the value
    date: closing days are announced in a policy version before the day itself.
    """
    policy = version_at().policy if at is None else policy_at(at)
    return _calendar(policy.calendar.extra_closing_days)
