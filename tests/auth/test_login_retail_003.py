"""Retail 003: user ID + password + E-TOKEN OTP + confirmation code; initial credentials
issued by the bank are changed at the first login; OTPs are single use."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from kinko import clock
from kinko.auth import challenges, login, otp, sessions, stepup
from kinko.auth.errors import (
    ConfirmationCodeMismatch,
    InvalidCredentials,
    SessionExpired,
)
from kinko.auth.models import OtpToken
from kinko.auth.outcomes import Failed, LoggedIn, MustChangeCredentials, SteppedUp
from kinko.auth.policy import Operation
from kinko.db import Database
from tests.auth import builders
from tests.auth.builders import NEW_PASSWORD, Retail003


def _enrol(db: Database) -> Retail003:
    return db.run(builders.retail_003)


def _code(db: Database) -> challenges.ConfirmationCode:
    return db.run(challenges.issue_confirmation_code)


def _login(db: Database, r: Retail003, *, login_id: str | None = None,
           password: str | None = None, otp_code: str | None = None,
           code: str | None = None) -> object:
    challenge = _code(db)
    return db.run(login.login_retail_003, user_id=login_id or r.login_id,
                  password=password or r.password,
                  otp_code=otp_code if otp_code is not None else builders.otp_now(r.token),
                  challenge_id=challenge.challenge_id,
                  confirmation_code=code if code is not None else challenge.code.lower())


def _first_login(db: Database, r: Retail003) -> LoggedIn:
    forced = _login(db, r)
    assert isinstance(forced, MustChangeCredentials)
    done = db.run(login.change_credentials, session_token=forced.session_token,
                  current_password=r.password, new_login_id="tanaka2026x",
                  new_password=NEW_PASSWORD)
    assert isinstance(done, LoggedIn)
    return done


@pytest.mark.req("AUTH-7")
def test_first_login_forces_changing_both_issued_credentials(db: Database) -> None:
    r = _enrol(db)
    forced = _login(db, r)
    assert isinstance(forced, MustChangeCredentials)
    assert forced.change == frozenset({"login_id", "login_password"})
    # Both must change: the password alone is not enough.
    with pytest.raises(Exception, match="login_id"):
        db.run(login.change_credentials, session_token=forced.session_token,
               current_password=r.password, new_password=NEW_PASSWORD)
    clock.advance(timedelta(seconds=30))
    _first_login(db, r)
    clock.advance(timedelta(seconds=30))
    assert isinstance(_login(db, r, login_id="tanaka2026x", password=NEW_PASSWORD), LoggedIn)
    clock.advance(timedelta(seconds=30))
    old = _login(db, r)   # the issued user ID is gone
    assert isinstance(old, Failed) and isinstance(old.error, InvalidCredentials)


@pytest.mark.req("AUTH-1")
def test_confirmation_code_is_checked_first_and_used_once(db: Database) -> None:
    r = _enrol(db)
    wrong = _login(db, r, code="XXXXXX")
    assert isinstance(wrong, Failed) and isinstance(wrong.error, ConfirmationCodeMismatch)
    challenge = _code(db)
    first = db.run(login.login_retail_003, user_id=r.login_id, password="Wrong1Pass",
                   otp_code="000000", challenge_id=challenge.challenge_id,
                   confirmation_code=challenge.code)
    assert isinstance(first, Failed) and isinstance(first.error, InvalidCredentials)
    reuse = db.run(login.login_retail_003, user_id=r.login_id, password=r.password,
                   otp_code=builders.otp_now(r.token), challenge_id=challenge.challenge_id,
                   confirmation_code=challenge.code)
    assert isinstance(reuse.error, ConfirmationCodeMismatch)   # type: ignore[union-attr]
    expired = _code(db)
    clock.advance(timedelta(minutes=6))
    late = db.run(login.login_retail_003, user_id=r.login_id, password=r.password,
                  otp_code=builders.otp_now(r.token), challenge_id=expired.challenge_id,
                  confirmation_code=expired.code)
    assert isinstance(late.error, ConfirmationCodeMismatch)    # type: ignore[union-attr]


@pytest.mark.req("AUTH-5")
def test_an_otp_is_accepted_once_even_inside_its_step(db: Database) -> None:
    r = _enrol(db)
    code = builders.otp_now(r.token)
    assert isinstance(_login(db, r, otp_code=code), MustChangeCredentials)
    replay = _login(db, r, otp_code=code)
    assert isinstance(replay, Failed)
    # An older step than the accepted one is refused too; the next step is accepted.
    earlier = otp.code_at(r.token, clock.now() - timedelta(seconds=30))
    assert isinstance(_login(db, r, otp_code=earlier), Failed)
    later = otp.code_at(r.token, clock.now() + timedelta(seconds=30))
    assert isinstance(_login(db, r, otp_code=later), MustChangeCredentials)


@pytest.mark.req("AUTH-5")
def test_otp_window_is_one_step_either_side(db: Database) -> None:
    r = _enrol(db)
    two_back = otp.code_at(r.token, clock.now() - timedelta(seconds=60))
    assert isinstance(_login(db, r, otp_code=two_back), Failed)
    one_back = otp.code_at(r.token, clock.now() - timedelta(seconds=30))
    assert isinstance(_login(db, r, otp_code=one_back), MustChangeCredentials)


@pytest.mark.req("AUTH-5")
def test_the_same_otp_in_parallel_is_accepted_once(db: Database, pg_url: str) -> None:
    """Ten requests carry the same code at once; the conditional UPDATE lets one through."""
    r = _enrol(db)
    code = builders.otp_now(r.token)
    barrier = threading.Barrier(10)
    accepted: list[bool] = []
    lock = threading.Lock()

    def check() -> None:
        barrier.wait()

        def use(s):  # type: ignore[no-untyped-def]
            token = s.get(OtpToken, r.token.id)
            return otp.check_token(s, token, code, window=1)
        ok = db.run(use)
        with lock:
            accepted.append(ok)

    threads = [threading.Thread(target=check) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(accepted) == [False] * 9 + [True]


@pytest.mark.req("AUTH-3")
def test_fund_movement_needs_a_fresh_otp_inside_the_session(db: Database) -> None:
    r = _enrol(db)
    session = _first_login(db, r)
    details = {"payee": "0005-001-1234567", "amount": 30_000}
    plan = db.run(stepup.begin, session_token=session.session_token,
                  operation=Operation.TRANSFER, details=details)
    assert [f.value for f in plan.factors] == ["otp"]
    clock.advance(timedelta(seconds=30))
    up = db.run(stepup.verify, session_token=session.session_token,
                operation=Operation.TRANSFER, details=details,
                answers=stepup.Answers(otp_code=builders.otp_now(r.token)))
    assert isinstance(up, SteppedUp)
    # Rotated: the token from before the step-up is dead, the new one works.
    with pytest.raises(SessionExpired):
        db.run(sessions.authenticate, session.session_token)
    # Limit changes need it too (003 第四条2(2)).
    assert db.run(stepup.begin, session_token=up.session_token,
                  operation=Operation.LIMIT_CHANGE, details={"daily": 2_000_000}).factors
