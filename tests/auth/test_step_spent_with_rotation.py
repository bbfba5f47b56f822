"""A step-up answered with a one-time password: its time step is spent by the statement that
rotates the session (PostgreSQL: a data-modifying CTE; SQLite: the view
``proc_step_up_rotation``'s trigger) — both or neither."""

from __future__ import annotations

from datetime import datetime

from kinko import clock
from kinko.auth import repository as repo
from kinko.auth.models import AuthSession, OtpToken
from kinko.auth.sessions import token_hash
from kinko.db import Database
from tests.querycount import counting
from tests.web.conftest import login


def _state(db: Database, session_id: int, token_id: int) -> tuple[str, int | None]:
    with db.transaction() as s:
        row, token = s.get(AuthSession, session_id), s.get(OtpToken, token_id)
        assert row is not None and token is not None
        return row.token_hash, token.last_step


def test_the_step_and_the_rotation_are_one_statement_both_or_neither(db: Database) -> None:
    clock.set_now(datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST))
    user_id, _account, session_token = login(db)
    with db.transaction() as s:
        token = repo.active_token(s, user_id)
        row = repo.session_by_token_hash(s, token_hash(session_token))
        assert token is not None and row is not None
        token.last_step = 100
        token_id, session_id, old_hash = token.id, row.id, row.token_hash
    now = clock.now()

    def values(new: str) -> dict[str, object]:
        return {"token_hash": new, "rotated_at": now, "last_seen_at": now,
                "stepped_up_at": now, "stepped_up_for": None}

    for spent in (99, 100):  # an earlier step, and the one already spent: nothing written
        with db.transaction() as s:
            assert not repo.rotate_spending_otp_step(s, session_id, values("x" * 64),
                                                     token_id, spent)
        assert _state(db, session_id, token_id) == (old_hash, 100)
    with counting(db.engine) as found, db.transaction() as s:
        assert repo.rotate_spending_otp_step(s, session_id, values("y" * 64), token_id, 101)
        assert found.count == 1, found
    assert _state(db, session_id, token_id) == ("y" * 64, 101)
    with db.transaction() as s:
        row = s.get(AuthSession, session_id)
        assert row is not None and row.stepped_up_at == now and row.rotated_at == now
        assert row.last_seen_at == now and row.stepped_up_for is None
