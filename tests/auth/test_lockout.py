"""AUTH-6: N consecutive failures lock, M consecutive lockouts block, counters in the DB,
exact under concurrency; lockouts and blocks are audited and e-mailed (NOTIF-1)."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kinko import clock
from kinko.audit.models import AuditEvent
from kinko.auth import lockout, login, policy
from kinko.auth.effects import EMAIL_TOPIC
from kinko.auth.errors import Blocked, LockedOut
from kinko.auth.models import AuthUser, UserState
from kinko.auth.outcomes import BlockedOut, Failed, Locked, LoggedIn
from kinko.db import Database
from kinko.outbox.models import OutboxMessage
from tests.auth import builders
from tests.auth.builders import PASSWORD


def _user(db: Database) -> int:
    return db.run(lambda s: builders.retail_001(s).id)


def _wrong(db: Database) -> object:
    return db.run(login.login_retail_001, member_number="12345678", password="Wrong1Pass")


def _right(db: Database) -> object:
    return db.run(login.login_retail_001, member_number="12345678", password=PASSWORD)


def _state(db: Database, user_id: int) -> AuthUser:
    with db.transaction() as s:
        user = s.get(AuthUser, user_id)
        assert user is not None
        s.expunge(user)
        return user


@pytest.mark.req("AUTH-6")
def test_timed_lockout_then_block(db: Database) -> None:
    user_id = _user(db)
    with policy.overridden(max_failed_attempts=3, lockout_duration=timedelta(minutes=30),
                           lockouts_before_block=2):
        for _ in range(2):
            assert isinstance(_wrong(db), Failed)
        third = _wrong(db)
        assert isinstance(third, Failed) and third.locked_now
        assert isinstance(third.error, LockedOut)
        assert _state(db, user_id).locked_until == clock.now() + timedelta(minutes=30)
        # While locked even the right password is refused and nothing counts.
        assert isinstance(_right(db), Locked)
        assert isinstance(_wrong(db), Locked)
        assert _state(db, user_id).failure_count == 0
        # The lockout ends by itself.
        clock.advance(timedelta(minutes=30))
        for _ in range(2):
            assert isinstance(_wrong(db), Failed)
        sixth = _wrong(db)   # second consecutive lockout: blocked
        assert isinstance(sixth, Failed) and isinstance(sixth.error, Blocked)
        clock.advance(timedelta(days=365))
        assert isinstance(_right(db), BlockedOut)
        user = _state(db, user_id)
        assert (user.state, user.lockout_count) == (UserState.BLOCKED, 2)


@pytest.mark.req("AUTH-6")
def test_a_correct_entry_resets_both_counters(db: Database) -> None:
    user_id = _user(db)
    with policy.overridden(max_failed_attempts=3, lockout_duration=timedelta(minutes=5),
                           lockouts_before_block=2):
        _wrong(db), _wrong(db), _wrong(db)
        clock.advance(timedelta(minutes=5))
        _wrong(db)
        assert (_state(db, user_id).failure_count, _state(db, user_id).lockout_count) == (1, 1)
        assert isinstance(_right(db), LoggedIn)
        user = _state(db, user_id)
        assert (user.failure_count, user.lockout_count, user.state) == (0, 0, UserState.ACTIVE)
        # So it takes two fresh lockouts to block again.
        for _ in range(3):
            _wrong(db)
        assert _state(db, user_id).state is UserState.LOCKED


@pytest.mark.req("AUTH-6")
@pytest.mark.req("NOTIF-1")
def test_lockout_and_block_are_audited_and_emailed(db: Database) -> None:
    user_id = _user(db)
    with policy.overridden(max_failed_attempts=2, lockout_duration=timedelta(minutes=1),
                           lockouts_before_block=2):
        for _ in range(2):
            _wrong(db)
        clock.advance(timedelta(minutes=1))
        for _ in range(2):
            _wrong(db)
    with db.transaction() as s:
        actions = s.execute(select(AuditEvent.action).where(
            AuditEvent.subject_id == str(user_id)).order_by(AuditEvent.id)).scalars().all()
        assert actions.count("auth.failure") == 4
        assert "auth.locked" in actions and "auth.blocked" in actions
        mails = [json.loads(p) for p in s.execute(select(OutboxMessage.payload).where(
            OutboxMessage.topic == EMAIL_TOPIC)).scalars()]
        templates = [m["template"] for m in mails]
        assert templates.count("auth.locked") == 1 and templates.count("auth.blocked") == 1
        assert all(m["to"] == "taro@example.jp" for m in mails)
        assert not any("Wrong1Pass" in json.dumps(m) for m in mails)


@pytest.mark.req("AUTH-6")
def test_release_unlocks_a_blocked_user(db: Database) -> None:
    user_id = _user(db)
    for _ in range(5):
        _wrong(db)
    db.run(lockout.release, user_id, actor="operator:1")
    assert isinstance(_right(db), LoggedIn)


@pytest.mark.req("AUTH-6")
def test_parallel_wrong_guesses_lock_at_exactly_n(db: Database, pg_url: str) -> None:
    """50 threads, each its own transaction, guess wrong at once: exactly N count, the N-th
    locks, and every other attempt is refused as locked — none slips past the limit."""
    user_id = _user(db)
    n = 5
    results: list[object] = []
    barrier = threading.Barrier(50)
    lock = threading.Lock()

    def attempt() -> None:
        barrier.wait()
        r = _wrong(db)
        with lock:
            results.append(r)

    threads = [threading.Thread(target=attempt) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    failed = [r for r in results if isinstance(r, Failed)]
    assert len(results) == 50
    assert len(failed) == n
    assert sum(1 for r in failed if r.locked_now) == 1
    assert all(isinstance(r, Locked) for r in results if not isinstance(r, Failed))
    user = _state(db, user_id)
    assert (user.state, user.lockout_count, user.failure_count) == (UserState.LOCKED, 1, 0)
    with db.transaction() as s:
        counted = s.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "auth.failure")).scalar_one()
    assert counted == n


@pytest.mark.req("AUTH-6")
def test_lockouts_until_released_still_add_up_to_a_block(db: Database) -> None:
    """retail-001 locks until released (SPEC §13): the release must not forget the lockout,
    or the M-th consecutive lockout would never block. Policy defaults: N=5, M=3."""
    user_id = _user(db)
    for round_ in range(1, 4):
        for _ in range(5):
            _wrong(db)
        user = _state(db, user_id)
        expected = UserState.BLOCKED if round_ == 3 else UserState.LOCKED
        assert (user.state, user.lockout_count) == (expected, round_)
        if round_ < 3:
            db.run(lockout.release, user_id, actor="operator:1")
            released = _state(db, user_id)
            assert (released.failure_count, released.lockout_count) == (0, round_)
    assert isinstance(_right(db), BlockedOut)
    # After the bank releases the block, a correct entry clears both counters.
    db.run(lockout.release, user_id, actor="operator:1")
    assert isinstance(_right(db), LoggedIn)
    user = _state(db, user_id)
    assert (user.failure_count, user.lockout_count) == (0, 0)
