"""Sessions in the database: hashed ≥128-bit tokens, idle and absolute timeouts, rotation,
listing and ending others (DESIGN security defaults, AUTH-13)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from kinko import clock
from kinko.auth import login, policy, sessions
from kinko.auth.errors import SessionExpired
from kinko.auth.login import Client
from kinko.auth.models import AuthSession
from kinko.auth.outcomes import LoggedIn
from kinko.db import Database
from tests.auth import builders
from tests.auth.builders import PASSWORD


def _login(db: Database, client: Client = Client()) -> LoggedIn:
    result = db.run(login.login_retail_001, member_number="12345678", password=PASSWORD,
                    client=client)
    assert isinstance(result, LoggedIn)
    return result


@pytest.fixture
def enrolled(db: Database) -> int:
    return db.run(lambda s: builders.retail_001(s).id)


def test_the_database_holds_only_a_keyed_hash_of_the_token(db: Database, enrolled: int) -> None:
    token = _login(db).session_token
    assert len(token) >= 43
    with db.transaction() as s:
        stored = s.execute(select(AuthSession.token_hash)).scalars().all()
    assert token not in stored and stored == [sessions.token_hash(token)]


def test_idle_timeout_and_activity(db: Database, enrolled: int) -> None:
    with policy.overridden(session_idle=timedelta(minutes=10),
                           session_absolute=timedelta(hours=1)):
        token = _login(db).session_token
    for _ in range(3):
        clock.advance(timedelta(minutes=9))
        db.run(sessions.authenticate, token)    # activity keeps it alive
    clock.advance(timedelta(minutes=10))
    with pytest.raises(SessionExpired):
        db.run(sessions.authenticate, token)


def test_absolute_timeout_whatever_the_activity(db: Database, enrolled: int) -> None:
    with policy.overridden(session_idle=timedelta(minutes=10),
                           session_absolute=timedelta(minutes=30)):
        token = _login(db).session_token
    for _ in range(3):
        clock.advance(timedelta(minutes=9))
        db.run(sessions.authenticate, token)
    clock.advance(timedelta(minutes=4))
    with pytest.raises(SessionExpired):
        db.run(sessions.authenticate, token)


def test_login_makes_a_new_session_and_logout_ends_it(db: Database, enrolled: int) -> None:
    first = _login(db)
    second = _login(db)
    assert first.session_token != second.session_token
    db.run(sessions.end, second.session_token)
    with pytest.raises(SessionExpired):
        db.run(sessions.authenticate, second.session_token)
    db.run(sessions.end, second.session_token)   # ending twice is harmless
    db.run(sessions.authenticate, first.session_token)
    with pytest.raises(SessionExpired):
        db.run(sessions.authenticate, "forged-" + first.session_token)


@pytest.mark.req("AUTH-13")
def test_list_and_end_other_sessions(db: Database, enrolled: int) -> None:
    pc = _login(db, Client(ip="203.0.113.5", place="岡山県", user_agent="Firefox"))
    phone = _login(db, Client(ip="198.51.100.7", place="東京都", channel="smartphone"))
    listed = db.run(sessions.list_open, phone.session_token)
    assert [(i.place, i.current) for i in listed] == [("岡山県", False), ("東京都", True)]
    assert db.run(sessions.end_others, phone.session_token) == 1
    with pytest.raises(SessionExpired):
        db.run(sessions.authenticate, pc.session_token)
    assert len(db.run(sessions.list_open, phone.session_token)) == 1


def test_checking_a_session_costs_one_statement_and_a_touch_a_minute(db: Database,
                                                                      enrolled: int) -> None:
    """The per-request hot path: one SELECT by token hash; the conditional UPDATE of
    last_seen_at only when it is a minute old or more."""
    from sqlalchemy import event

    token = _login(db).session_token
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement.split()[0].upper())

    def checked() -> list[str]:
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            db.run(sessions.authenticate, token)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return [s for s in statements if s in ("SELECT", "UPDATE", "INSERT")]

    assert checked() == ["SELECT"]
    clock.advance(sessions.TOUCH_EVERY)
    assert checked() == ["SELECT", "UPDATE"]
    assert checked() == ["SELECT"]
