"""The examples in docs/policy.md and docs/calendar.md are valid policy files (POL-1)."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from pathlib import Path

import pytest

from kinko.clock import JST
from kinko.policy import PolicyBook

DOCS = Path(__file__).resolve().parents[2] / "docs"


def toml_blocks(name: str) -> list[str]:
    return re.findall(r"```toml\n(.*?)```", (DOCS / name).read_text(encoding="utf-8"), re.S)


@pytest.mark.req("POL-1")
def test_policy_doc_example_loads() -> None:
    (example,) = toml_blocks("policy.md")
    book = PolicyBook.from_toml(example, source="docs/policy.md")
    assert len(book.versions) == 3
    august = book.policy_at(datetime(2026, 8, 1, tzinfo=JST))
    assert august.transfers.same_day_cutoff == time(14, 30)
    assert august.transfers.recall_fee == 1_100
    assert august.calendar.extra_closing_days == (date(2026, 10, 5),)


@pytest.mark.req("CAL-2")
def test_calendar_doc_example_loads() -> None:
    (example,) = toml_blocks("calendar.md")
    book = PolicyBook.from_toml(example, source="docs/calendar.md")
    days = book.policy_at(datetime(2026, 8, 1, tzinfo=JST)).calendar.extra_closing_days
    assert days == (date(2026, 10, 5), date(2026, 11, 30))
