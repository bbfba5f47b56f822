"""The outbox and due-work runner: due work is done once, even when the batch runs twice."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from kinko import clock
from kinko.batch.service import run_due
from kinko.cli import app
from kinko.db import Database
from kinko.ledger.models import Account, JournalEntry
from kinko.ledger.rules import Leg
from kinko.ledger.scheduled import schedule_entry
from kinko.ledger.service import EntryRequest
from kinko.outbox.models import OutboxMessage, OutboxState
from kinko.outbox.service import enqueue, handler
from tests import factories

NOON = datetime(2026, 11, 20, 12, 0, tzinfo=clock.JST)
calls: list[dict[str, Any]] = []


@handler("test.record")
def _record_call(session: Session, payload: dict[str, Any]) -> None:
    calls.append(payload)


@handler("test.flaky")
def _flaky(session: Session, payload: dict[str, Any]) -> None:
    raise RuntimeError("smtp down")


@pytest.fixture(autouse=True)
def _reset() -> None:
    calls.clear()
    clock.set_now(NOON)


def test_message_is_sent_only_after_commit(db: Database) -> None:
    """DESIGN rule 4: work enqueued in a transaction that rolls back never happens."""
    class Boom(Exception):
        pass

    def enqueue_then_fail(s: Session) -> None:
        enqueue(s, "test.record", {"n": 1})
        raise Boom

    with pytest.raises(Boom):
        db.run(enqueue_then_fail)
    db.run(lambda s: enqueue(s, "test.record", {"n": 2}))
    report = run_due(db)
    assert [c["n"] for c in calls] == [2] and report.done == 1


def test_future_work_waits_for_its_moment_and_runs_once(db: Database) -> None:
    db.run(lambda s: enqueue(s, "test.record", {"n": 1}, due_at=NOON + timedelta(days=1)))
    assert run_due(db).done == 0
    assert run_due(db, at=NOON + timedelta(days=1)).done == 1
    assert run_due(db, at=NOON + timedelta(days=2)).done == 0
    assert len(calls) == 1


def test_dedupe_key_schedules_work_once(db: Database) -> None:
    for _ in range(3):
        db.run(lambda s: enqueue(s, "test.record", {"n": 1}, dedupe_key="same"))
    assert run_due(db).done == 1


def test_failing_handler_is_retried_later_then_marked_failed(db: Database) -> None:
    db.run(lambda s: enqueue(s, "test.flaky", {}))
    report = run_due(db)
    assert report.retried == 1 and report.done == 0
    at = NOON
    for _ in range(10):
        at += timedelta(days=1)
        run_due(db, at=at)
    with db.transaction() as s:
        msg = s.scalars(select(OutboxMessage)).one()
    assert msg.state == OutboxState.FAILED and "smtp down" in (msg.last_error or "")


@pytest.mark.req("XFER-4")
def test_scheduled_entry_posts_exactly_once_when_due(db: Database, database_url: str) -> None:
    with db.transaction() as s:
        a = factories.account(s, balance=10_000)
        b = factories.account(s)
    value_day = NOON + timedelta(days=3)
    db.run(lambda s: schedule_entry(s, EntryRequest(
        kind="transfer", legs=[Leg(a, -4_000), Leg(b, 4_000)], idempotency_key="future-1",
    ), due_at=value_day, actor="customer:1"))
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(app, ["batch", "run", "--database-url", database_url,
                                     "--at", value_day.isoformat()])
        assert result.exit_code == 0, result.output
    with db.transaction() as s:
        assert s.get(Account, b).balance == 4_000  # type: ignore[union-attr]
        assert len(s.scalars(select(JournalEntry).where(
            JournalEntry.idempotency_key == "future-1")).all()) == 1


def test_batch_run_rejects_a_bad_moment(database_url: str) -> None:
    result = CliRunner().invoke(app, ["batch", "run", "--database-url", database_url,
                                      "--at", "tomorrow"])
    assert result.exit_code == 2 and "not a date" in result.output


def test_parallel_runners_share_the_work_without_doing_any_twice(db: Database,
                                                                 pg_url: str) -> None:
    """DESIGN rule 5: FOR UPDATE SKIP LOCKED lets several runners work side by side."""
    def many(s: Session) -> None:
        for n in range(60):
            enqueue(s, "test.record", {"n": n})

    db.run(many)
    reports = []

    def worker() -> None:
        reports.append(run_due(Database(pg_url)))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(c["n"] for c in calls) == list(range(60))
    assert sum(r.done for r in reports) == 60
