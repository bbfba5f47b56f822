"""Field types for policy values: exact yen, exact rates, times of day, dates, cutoffs.

Pydantic's lax mode would turn ``1e6`` into a yen amount and an integer into a time of day
(seconds since midnight); a policy file with such a slip must be refused, not reinterpreted, so
every field type here accepts only the forms a bank engineer means.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, StrictInt
from pydantic_core import PydanticCustomError

from kinko.money import MAX_AMOUNT, InvalidAmount, parse_yen

RATE_SCALE = 100_000
"""Rates are integers in parts per 100,000 (units of 0.001 %): 20.315 % is ``20_315``.

Basis points cannot express deposit rates such as 0.002 %, and floats must stay away from
money (LED-1), so every rate in the policy uses this one scale.
"""

RATE_SUFFIX = "_per_100k"
"""Every rate field's name ends so, so a policy file states its unit where it is written."""

UNTIL_RELEASED = "until-released"
"""How a policy file writes a lockout that lasts until an operator releases it."""


class PolicyGroup(BaseModel):
    """Base of every policy group: frozen, and unknown keys are refused (a typo is an error)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def _yen(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise PydanticCustomError(
            "yen_type", "must be a whole yen amount (an integer), not {kind}",
            {"kind": type(value).__name__},
        )
    try:
        return parse_yen(value, allow_zero=True)
    except InvalidAmount:
        raise PydanticCustomError(
            "yen_range", "must be a whole yen amount from 0 to {max}", {"max": f"{MAX_AMOUNT:,}"},
        ) from None


def _time_of_day(value: Any) -> time:
    if isinstance(value, str):
        try:
            value = time.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError("time_format", "must be a time of day like 15:00") from None
    if not isinstance(value, time):
        raise PydanticCustomError(
            "time_type", "must be a time of day like 15:00, not {kind}",
            {"kind": type(value).__name__},
        )
    if value.tzinfo is not None:
        raise PydanticCustomError("time_zone", "must be a Japan time of day without a zone")
    return value


def _calendar_date(value: Any) -> date:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError("date_format", "must be a date like 2026-05-01") from None
    # A datetime is a date subclass; a closing day given with a time is a slip, not a date.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise PydanticCustomError(
            "date_type", "must be a date like 2026-05-01, not {kind}",
            {"kind": type(value).__name__},
        )
    return value


def _lockout_minutes(value: Any) -> Any:
    return None if value == UNTIL_RELEASED else value


def _show_lockout(value: int | None) -> int | str:
    return UNTIL_RELEASED if value is None else value


YenAmount = Annotated[int, BeforeValidator(_yen)]
"""A whole, non-negative yen amount (fees may be 0)."""

Rate = Annotated[StrictInt, Field(ge=0, le=RATE_SCALE)]
"""A rate in parts per 100,000 (see :data:`RATE_SCALE`), from 0 to 100 %."""

TimeOfDay = Annotated[time, BeforeValidator(_time_of_day)]
"""A Japan time of day (``15:00``)."""

CalendarDate = Annotated[date, BeforeValidator(_calendar_date)]
"""A calendar date (``2026-05-01``)."""

LockoutMinutes = Annotated[
    Annotated[StrictInt, Field(ge=1, le=525_600)] | None,
    BeforeValidator(_lockout_minutes),
    PlainSerializer(_show_lockout),
]
"""Minutes a lockout lasts; ``None`` (written ``"until-released"``): until an operator releases
it."""


class Cutoff(PolicyGroup):
    """A request deadline: ``at`` on the day ``business_days_before`` business days before the
    target date (value date, debit date, payment date)."""

    business_days_before: Annotated[StrictInt, Field(ge=0, le=30)]
    at: TimeOfDay
