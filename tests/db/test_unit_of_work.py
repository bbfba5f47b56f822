"""The boundary owns the transaction; Database.run retries serialization failures and deadlocks."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.models import AuditEvent
from kinko.audit.service import record
from kinko.db import Database
from kinko.ledger.service import transfer
from tests import factories


def test_transaction_rolls_back_on_error(db: Database) -> None:
    with pytest.raises(ZeroDivisionError), db.transaction() as s:
        record(s, actor="a", action="b", subject_type="c", subject_id=1)
        _ = 1 / 0
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 0


@pytest.mark.parametrize("sqlstate", ["40001", "40P01"])
def test_run_retries_the_whole_use_case(pg_url: str, sqlstate: str) -> None:
    """A real serialization failure / deadlock from PostgreSQL, raised on the first attempt."""
    db = Database(pg_url)
    attempts: list[int] = []

    def use_case(s: Session) -> int:
        attempts.append(1)
        record(s, actor="a", action="retry", subject_type="c", subject_id=len(attempts))
        if len(attempts) == 1:
            s.execute(text(f"DO $$ BEGIN RAISE EXCEPTION 'simulated' USING ERRCODE = "
                           f"'{sqlstate}'; END $$"))
        return len(attempts)

    try:
        assert db.run(use_case) == 2
        with db.transaction() as s:
            # the first attempt's event was rolled back with it
            assert s.scalars(select(AuditEvent.subject_id).where(AuditEvent.action == "retry")
                             ).all() == ["2"]
    finally:
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_events"))
        db.dispose()


def test_other_errors_are_not_retried(pg_url: str) -> None:
    db = Database(pg_url)
    attempts: list[int] = []

    def use_case(s: Session) -> None:
        attempts.append(1)
        s.execute(text("SELECT 1/0"))

    with pytest.raises(DBAPIError):
        db.run(use_case)
    assert len(attempts) == 1
    db.dispose()


def test_posting_a_transfer_is_one_statement(db: Database) -> None:
    """DESIGN "Speed": the hot path is one round trip on PostgreSQL; on SQLite the post is one
    statement too (the ``proc_ledger_post`` trigger), after BEGIN IMMEDIATE and before the
    audit buffer's INSERT at commit (PostgreSQL's statement writes its audit event itself)."""
    clock.set_now(datetime(2026, 11, 20, 10, 0))
    with db.transaction() as s:
        a = factories.account(s, balance=5_000)
        b = factories.account(s)
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        db.run(lambda s: transfer(s, debit_account_id=a, credit_account_id=b, amount=1,
                                  actor="t"))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    expected = 1 if db.is_postgres else 3
    assert len(statements) == expected, statements


def test_a_connection_killed_between_transactions_is_replaced(pg_url: str) -> None:
    """Without a pre-ping, a pooled connection the server has dropped fails on its first
    statement; nothing was sent to commit, so ``run`` runs the use case again."""
    db = Database(pg_url, pool_size=1)
    try:
        pid = db.run(lambda s: s.execute(text("SELECT pg_backend_pid()")).scalar_one())
        other = Database(pg_url, pool_size=1)
        other.run(lambda s: s.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}))
        other.dispose()
        assert db.run(lambda s: s.execute(text("SELECT 41 + 1")).scalar_one()) == 42
    finally:
        db.dispose()
