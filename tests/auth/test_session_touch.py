"""The session touch: at most once a minute, never waiting for the row, and the idle timeout
exact against the stored ``last_seen_at`` (issue: a session's requests serialized on its row).
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from kinko import clock
from kinko.auth import login, policy, sessions
from kinko.auth.errors import SessionExpired
from kinko.auth.login import Client
from kinko.auth.models import AuthSession
from kinko.auth.outcomes import LoggedIn
from kinko.db import Database
from tests.auth import builders
from tests.auth.builders import PASSWORD


def _token(db: Database) -> str:
    db.run(lambda s: builders.retail_001(s).id)
    result = db.run(login.login_retail_001, member_number="12345678", password=PASSWORD,
                    client=Client())
    assert isinstance(result, LoggedIn)
    return result.session_token


def _last_seen(db: Database) -> object:
    with db.transaction() as s:
        return s.execute(select(AuthSession.last_seen_at)).scalar_one()


def test_idle_timeout_counts_from_the_stored_touch(db: Database) -> None:
    """A request less than a minute after the last touch does not move ``last_seen_at``; the
    idle timeout runs from the stored value, so the session ends at most 60 s before "last
    request + idle timeout", never after it."""
    with policy.overridden(session_idle=timedelta(minutes=10),
                           session_absolute=timedelta(hours=2)):
        token = _token(db)
    start = clock.now()
    touched = _last_seen(db)
    clock.advance(timedelta(seconds=59))
    db.run(sessions.authenticate, token)
    assert _last_seen(db) == touched                  # not moved: younger than a minute
    clock.set_now(start + timedelta(minutes=10) - timedelta(microseconds=1))
    db.run(sessions.authenticate, token)              # still live, and now touched
    assert _last_seen(db) == clock.now()
    moved = clock.now()
    clock.set_now(moved + timedelta(minutes=10))      # exactly idle after the stored touch
    with pytest.raises(SessionExpired):
        db.run(sessions.authenticate, token)


def test_the_slack_is_at_most_a_minute(db: Database) -> None:
    """The request at +59 s was the last: the session ends 10 min after the touch at 0 s,
    i.e. 9 min 1 s after that last request, within the documented minute of slack."""
    with policy.overridden(session_idle=timedelta(minutes=10),
                           session_absolute=timedelta(hours=2)):
        token = _token(db)
    start = clock.now()
    clock.set_now(start + timedelta(seconds=59))
    db.run(sessions.authenticate, token)
    clock.set_now(start + timedelta(minutes=10))
    with pytest.raises(SessionExpired):
        db.run(sessions.authenticate, token)


def test_a_touch_never_waits_for_the_same_sessions_other_request(pg_url: str,
                                                                   db: Database) -> None:
    """Another request of the session holds its row (touching it, or rotating it) until it
    commits: this request's touch is skipped at once instead of waiting for that commit."""
    token = _token(db)
    clock.advance(sessions.TOUCH_EVERY * 2)
    waiting = Database(pg_url, lock_timeout_ms=3_000)
    holder = Database(pg_url)
    try:
        with holder.transaction() as other:
            other.execute(text("SELECT id FROM auth_sessions FOR UPDATE"))
            started = time.monotonic()
            waiting.run(sessions.authenticate, token)
            assert time.monotonic() - started < 1.0
        # The holder is done: the next request touches as usual.
        waiting.run(sessions.authenticate, token)
        assert _last_seen(db) == clock.now()
    finally:
        waiting.dispose()
        holder.dispose()
