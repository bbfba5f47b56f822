"""Clearing test helpers: the real outbox runner, a recorder for ``transfers.returned``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

import kinko.clearing.handlers
import kinko.notifications.handlers  # noqa: F401 - incoming credits queue e-mail notices
from kinko import clock
from kinko.batch.handlers import load_handlers
from kinko.batch.service import RunReport, run_due
from kinko.db import Database
from kinko.outbox import service as outbox

NOON = datetime(2026, 11, 20, 12, 0, tzinfo=clock.JST)


@pytest.fixture(autouse=True)
def _noon() -> None:
    clock.set_now(NOON)


@pytest.fixture
def returned(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """Stands in for the transfers module's handler of ``transfers.returned``."""
    calls: list[dict[str, Any]] = []
    # The runner imports every handler module first thing; done here first, the transfers
    # module's own handler cannot replace the stand-in when this test is run alone.
    load_handlers()

    def record(session: Session, payload: dict[str, Any]) -> None:
        calls.append(payload)

    monkeypatch.setitem(outbox._handlers, "transfers.returned", record)
    yield calls


def run_later(db: Database, minutes: int = 0) -> RunReport:
    """Run the due work as of ``minutes`` after the frozen clock."""
    return run_due(db, at=clock.now() + timedelta(minutes=minutes))
