"""The calendar of the policy in force (CAL-2, POL-1)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from kinko import clock
from kinko.calendar import BankCalendar, get_calendar
from kinko.clock import JST
from kinko.policy import reset_policy_cache

POLICY = """
[[version]]
effective_from = 2026-04-01T00:00:00+09:00
note = "closing day for the system migration"
calendar.extra_closing_days = [2026-10-05]

[[version]]
effective_from = 2026-07-01T00:00:00+09:00
calendar.extra_closing_days = [2026-10-05, 2026-11-30]
"""


@pytest.fixture
def policy_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY, encoding="utf-8")
    monkeypatch.setenv("KINKO_POLICY_FILE", str(path))
    reset_policy_cache()
    yield path
    reset_policy_cache()


@pytest.mark.req("CAL-2")
def test_defaults_have_no_extra_closing_days() -> None:
    reset_policy_cache()
    assert get_calendar() == BankCalendar()


@pytest.mark.req("CAL-2")
def test_calendar_follows_the_policy_version_in_force(policy_file: Path) -> None:
    before = get_calendar(datetime(2026, 3, 31, 23, 59, tzinfo=JST))
    april = get_calendar(datetime(2026, 4, 1, tzinfo=JST))
    july = get_calendar(datetime(2026, 7, 1, tzinfo=JST))
    assert before.is_business_day(date(2026, 10, 5))
    assert not april.is_business_day(date(2026, 10, 5))
    assert april.is_business_day(date(2026, 11, 30))
    assert not july.is_business_day(date(2026, 11, 30))


@pytest.mark.req("CAL-1")
def test_default_moment_is_the_clock(policy_file: Path) -> None:
    clock.set_now(datetime(2026, 3, 1, 12, 0, tzinfo=JST))
    assert get_calendar().is_business_day(date(2026, 10, 5))
    clock.set_now(datetime(2026, 5, 1, 12, 0, tzinfo=JST))
    assert not get_calendar().is_business_day(date(2026, 10, 5))


def test_calendars_are_shared(policy_file: Path) -> None:
    """CAL-2: immutable, so one instance per set of closing days is reused."""
    moment = datetime(2026, 8, 1, tzinfo=JST)
    assert get_calendar(moment) is get_calendar(moment)
