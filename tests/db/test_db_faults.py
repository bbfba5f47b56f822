"""Database.run and faults: a lock timeout is retried a few times, a statement timeout is not,
and both are told apart from bugs (issue: no request may wait forever, none may be a 500)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from kinko.db import Database
from kinko.db.engine import BUSY_RETRIES, fault_of


def test_a_lock_timeout_is_retried_a_few_times_then_raised(pg_url: str) -> None:
    db = Database(pg_url, lock_timeout_ms=100)
    holder = Database(pg_url)
    attempts: list[int] = []

    def use_case(s: Session) -> None:
        attempts.append(1)
        s.execute(text("LOCK TABLE audit_events IN ACCESS EXCLUSIVE MODE"))

    try:
        with holder.transaction() as other:
            other.execute(text("LOCK TABLE audit_events IN ACCESS EXCLUSIVE MODE"))
            with pytest.raises(DBAPIError) as raised:
                db.run(use_case)
        assert fault_of(raised.value) == "busy"
        assert len(attempts) == 1 + BUSY_RETRIES
        db.run(use_case)  # the lock is free again
    finally:
        db.dispose()
        holder.dispose()


def test_a_statement_timeout_is_not_retried_and_is_busy(pg_url: str) -> None:
    db = Database(pg_url, statement_timeout_ms=100)
    attempts: list[int] = []

    def use_case(s: Session) -> None:
        attempts.append(1)
        s.execute(text("SELECT pg_sleep(2)"))

    try:
        with pytest.raises(DBAPIError) as raised:
            db.run(use_case)
        assert fault_of(raised.value) == "busy" and len(attempts) == 1
    finally:
        db.dispose()


def test_the_sqlite_writer_queue_is_first_come_first_served() -> None:
    """A release hands the lock to the longest waiter; a newcomer cannot barge in, and a
    waiter whose wait runs out leaves the queue."""
    import threading
    import time

    from kinko.db.engine import FairLock

    lock = FairLock()
    assert lock.acquire(0)
    order: list[int] = []

    def waiter(n: int) -> None:
        assert lock.acquire(10)
        order.append(n)
        lock.release()

    threads = []
    for n in range(5):
        t = threading.Thread(target=waiter, args=(n,))
        t.start()
        threads.append(t)
        while len(lock._waiters) < n + 1:  # queued in this order
            time.sleep(0.001)
    assert not lock.acquire(0.05)  # a newcomer waits its turn, and gives up
    lock.release()
    for t in threads:
        t.join(10)
    assert order == [0, 1, 2, 3, 4]
    assert lock.acquire(0)
