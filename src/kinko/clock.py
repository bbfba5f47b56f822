"""The one source of "now" for business rules (DESIGN rule 6, CAL-1).

Every rule reads the time from here, in Asia/Tokyo. Tests and the demo set or move it with
:func:`set_now` / :func:`advance` / :func:`frozen`; production leaves it on the system clock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")

_lock = threading.Lock()
_fixed: datetime | None = None


def now() -> datetime:
    """The current moment as an aware datetime in Japan time."""
    fixed = _fixed
    if fixed is not None:
        return fixed
    return datetime.now(JST)


def today() -> date:
    """Today's date in Japan."""
    return now().date()


def to_jst(moment: datetime) -> datetime:
    """Interpret ``moment`` in Japan time; a naive datetime is taken to be Japan time already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=JST)
    return moment.astimezone(JST)


def set_now(moment: datetime | None) -> None:
    """Freeze the clock at ``moment`` (Japan time if naive); ``None`` returns to real time."""
    global _fixed  # noqa: PLW0603 - the module *is* the clock
    with _lock:
        _fixed = None if moment is None else to_jst(moment)


def advance(delta: timedelta) -> datetime:
    """Move a frozen clock forward (freezing it at the real time first if needed)."""
    global _fixed  # noqa: PLW0603
    with _lock:
        _fixed = (_fixed or datetime.now(JST)) + delta
        return _fixed


@contextmanager
def frozen(moment: datetime) -> Iterator[None]:
    """Freeze the clock for the duration of a ``with`` block."""
    previous = _fixed
    set_now(moment)
    try:
        yield
    finally:
        set_now(previous)


def parse_moment(text: str) -> datetime:
    """Parse an ISO date or datetime given on a command line; dates mean midnight JST."""
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), JST)
    return to_jst(datetime.fromisoformat(text))
