"""`kinko calendar` commands: business days of the policy in force now (CAL-1, CAL-2).

Arguments are read as text and parsed here so that bad input gets one clear line on stderr and
exit code 2 (a usage error), instead of a framework error panel or a traceback.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from kinko.calendar.rules import BankCalendar

app = typer.Typer(help="Bank business days (CAL-1, CAL-2).", no_args_is_help=True)

# Click would read "-3" (or a mistyped "-2026") as an unknown option and fail with a usage
# panel; ignoring unknown options hands it to the command as text, to be parsed or refused.
_DASHED_ARGUMENTS = {"ignore_unknown_options": True}
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INTEGER = re.compile(r"[+-]?[0-9]{1,6}")
# "no" already exits 1, so a broken policy file gets its own code: a script testing
# `is-business-day` must not mistake a configuration error for a holiday.
_CONFIG_ERROR = 3


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _date(text: str) -> date:
    # date.fromisoformat alone would also take "20260105" and week dates like "2026-W02-1".
    if _ISO_DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    _fail(f"{text!r} is not a date (expected YYYY-MM-DD)")


def _calendar() -> BankCalendar:
    from kinko.calendar import get_calendar
    from kinko.policy import PolicyFileError

    try:
        return get_calendar()
    except PolicyFileError as exc:
        _fail(exc.describe(), code=_CONFIG_ERROR)


@app.command("is-business-day", context_settings=_DASHED_ARGUMENTS)
def is_business_day(day: str = typer.Argument(..., metavar="YYYY-MM-DD")) -> None:
    """Print yes (exit 0) if DAY is a business day, else no (exit 1)."""
    from kinko.calendar.rules import CalendarRangeError

    parsed = _date(day)
    try:
        open_ = _calendar().is_business_day(parsed)
    except CalendarRangeError as exc:
        _fail(str(exc))
    typer.echo("yes" if open_ else "no")
    raise typer.Exit(0 if open_ else 1)


@app.command("add", context_settings=_DASHED_ARGUMENTS)
def add(
    day: str = typer.Argument(..., metavar="YYYY-MM-DD"),
    n: str = typer.Argument(..., metavar="N"),
) -> None:
    """Print the date N business days after DAY (negative N: before it)."""
    from kinko.calendar.rules import CalendarRangeError

    parsed = _date(day)
    if not _INTEGER.fullmatch(n):
        _fail(f"{n!r} is not a whole number of business days")
    try:
        result = _calendar().add_business_days(parsed, int(n))
    except CalendarRangeError as exc:
        _fail(str(exc))
    typer.echo(result.isoformat())


@app.command("holidays", context_settings=_DASHED_ARGUMENTS)
def holidays(year: str = typer.Argument(..., metavar="YEAR")) -> None:
    """Print every date of YEAR that is not a business day (weekends included)."""
    from kinko.calendar.rules import MAX_YEAR, MIN_YEAR

    if not re.fullmatch(r"[0-9]{4}", year) or not MIN_YEAR <= int(year) <= MAX_YEAR:
        _fail(f"{year!r} is not a year from {MIN_YEAR} to {MAX_YEAR}")
    for day in _calendar().holidays(int(year)):
        typer.echo(day.isoformat())
