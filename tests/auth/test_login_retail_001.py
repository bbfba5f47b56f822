"""Retail 001: member number + password, attribute check, lockout until released."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kinko import clock
from kinko.auth import login, policy, sessions
from kinko.auth.errors import InvalidCredentials, LockedUntilReleased, ScopeNotAllowed
from kinko.auth.login import Client
from kinko.auth.models import AuthUser, Product, UserState
from kinko.auth.outcomes import Failed, Locked, LoggedIn, NeedsSecondFactor
from kinko.db import Database
from tests.auth import builders
from tests.auth.builders import PASSWORD


def _enrol(db: Database) -> int:
    return db.run(lambda s: builders.retail_001(s).id)


@pytest.mark.req("AUTH-1")
def test_member_number_and_password_log_in(db: Database) -> None:
    user_id = _enrol(db)
    result = db.run(login.login_retail_001, member_number="12345678", password=PASSWORD,
                    client=Client(ip="203.0.113.5", place="岡山県"))
    assert isinstance(result, LoggedIn)
    assert result.user_id == user_id and result.previous_login_at is None
    clock.advance(timedelta(hours=1))
    again = db.run(login.login_retail_001, member_number="12345678", password=PASSWORD)
    assert isinstance(again, LoggedIn)
    # AUTH-13: the login page shows the previous login's time and place.
    assert again.previous_login_place == "岡山県"
    assert again.previous_login_at == clock.now() - timedelta(hours=1)


@pytest.mark.req("AUTH-10")
def test_unknown_member_number_reads_like_a_wrong_password(db: Database) -> None:
    _enrol(db)
    unknown = db.run(login.login_retail_001, member_number="99999999", password=PASSWORD)
    wrong = db.run(login.login_retail_001, member_number="12345678", password="Wrong1Pass")
    assert isinstance(unknown, Failed) and isinstance(wrong, Failed)
    assert type(unknown.error) is type(wrong.error) is InvalidCredentials
    assert unknown.error.to_problem() == wrong.error.to_problem()


@pytest.mark.req("AUTH-6")
def test_retail_001_lockout_lasts_until_released(db: Database) -> None:
    """Seed 001 2(7): suspension at once after N wrong entries, until the bank releases it."""
    user_id = _enrol(db)
    for _ in range(4):
        assert isinstance(db.run(login.login_retail_001, member_number="12345678",
                                 password="Wrong1Pass"), Failed)
    fifth = db.run(login.login_retail_001, member_number="12345678", password="Wrong1Pass")
    assert isinstance(fifth, Failed) and fifth.locked_now
    assert isinstance(fifth.error, LockedUntilReleased)
    clock.advance(timedelta(days=30))
    later = db.run(login.login_retail_001, member_number="12345678", password=PASSWORD)
    assert isinstance(later, Locked) and later.until is None
    with db.transaction() as s:
        user = s.get(AuthUser, user_id)
        assert user is not None and user.state is UserState.LOCKED


@pytest.mark.req("AUTH-2")
def test_attribute_check_when_policy_asks(db: Database) -> None:
    _enrol(db)
    profile = policy.with_profile(Product.RETAIL_001, login_attributes=("phone",))
    with policy.overridden(profiles={Product.RETAIL_001: profile}):
        first = db.run(login.login_retail_001, member_number="12345678", password=PASSWORD)
        assert isinstance(first, NeedsSecondFactor)
        assert first.factors == (policy.Factor.ATTRIBUTE,)
        # The half-step session opens nothing else.
        with pytest.raises(ScopeNotAllowed):
            db.run(sessions.authenticate, first.session_token)
        wrong = db.run(login.complete_second_step, session_token=first.session_token,
                       attributes={"phone": "090-0000-0000"})
        assert isinstance(wrong, Failed)
        ok = db.run(login.complete_second_step, session_token=first.session_token,
                    attributes={"phone": "０９０１２３４５６７８"})   # full-width, no hyphens
        assert isinstance(ok, LoggedIn)
        # Or in one request.
        one = db.run(login.login_retail_001, member_number="12345678", password=PASSWORD,
                     attributes={"phone": "09012345678"})
        assert isinstance(one, LoggedIn)
