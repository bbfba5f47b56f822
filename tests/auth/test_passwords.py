"""AUTH-8 (change, expiry), AUTH-9 (history), AUTH-10 (rehash at login)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from kinko import clock
from kinko.auth import login, passwords, policy, sessions
from kinko.auth.crypto import OWASP, SecretHasher, use_hasher
from kinko.auth.errors import OldPasswordMismatch, PasswordRejected, ScopeNotAllowed
from kinko.auth.models import AuthSecret, SecretKind
from kinko.auth.outcomes import Done, Failed, LoggedIn, MustChangeCredentials
from kinko.db import Database
from tests.auth import builders
from tests.auth.builders import NEW_PASSWORD, PASSWORD


def _user(db: Database) -> int:
    return db.run(lambda s: builders.retail_001(s).id)


def _login(db: Database, password: str = PASSWORD) -> object:
    return db.run(login.login_retail_001, member_number="12345678", password=password)


@pytest.mark.req("AUTH-8")
def test_change_needs_the_latest_old_password(db: Database) -> None:
    user_id = _user(db)
    wrong = db.run(passwords.change_secret, user_id=user_id, kind=SecretKind.LOGIN_PASSWORD,
                   old="Wrong1Pass", new=NEW_PASSWORD)
    assert isinstance(wrong, Failed) and isinstance(wrong.error, OldPasswordMismatch)
    assert db.run(passwords.change_secret, user_id=user_id, kind=SecretKind.LOGIN_PASSWORD,
                  old=PASSWORD, new=NEW_PASSWORD) == Done()
    assert isinstance(_login(db, PASSWORD), Failed)
    assert isinstance(_login(db, NEW_PASSWORD), LoggedIn)
    # The old one is no longer "the latest".
    again = db.run(passwords.change_secret, user_id=user_id, kind=SecretKind.LOGIN_PASSWORD,
                   old=PASSWORD, new="Another5Word")
    assert isinstance(again, Failed)


@pytest.mark.req("AUTH-6")
def test_wrong_old_passwords_count_toward_lockout(db: Database) -> None:
    user_id = _user(db)
    for _ in range(5):
        result = db.run(passwords.change_secret, user_id=user_id,
                        kind=SecretKind.LOGIN_PASSWORD, old="Wrong1Pass", new=NEW_PASSWORD)
    assert isinstance(result, Failed) and result.locked_now


@pytest.mark.req("AUTH-9")
def test_new_password_rules_and_history(db: Database) -> None:
    user_id = _user(db)
    with pytest.raises(PasswordRejected) as refused:
        db.run(passwords.change_secret, user_id=user_id, kind=SecretKind.LOGIN_PASSWORD,
               old=PASSWORD, new="Yamada19850321")
    assert "birth_date" in refused.value.extra["reasons"]
    with pytest.raises(PasswordRejected) as reused:
        db.run(passwords.change_secret, user_id=user_id, kind=SecretKind.LOGIN_PASSWORD,
               old=PASSWORD, new=PASSWORD)
    assert reused.value.extra["reasons"] == ["reused"]
    # History of N (policy): after N other passwords the first may come back.
    with policy.overridden(password_history=2):
        current = PASSWORD
        for new in ("Second2Word", "Third3Word"):
            assert db.run(passwords.change_secret, user_id=user_id,
                          kind=SecretKind.LOGIN_PASSWORD, old=current, new=new) == Done()
            current = new
        assert db.run(passwords.change_secret, user_id=user_id,
                      kind=SecretKind.LOGIN_PASSWORD, old=current, new=PASSWORD) == Done()


@pytest.mark.req("AUTH-8")
def test_expired_password_opens_only_the_change_screen(db: Database) -> None:
    _user(db)
    clock.advance(timedelta(days=90))
    result = _login(db)
    assert isinstance(result, MustChangeCredentials)
    assert result.expired and result.change == frozenset({"login_password"})
    with pytest.raises(ScopeNotAllowed):
        db.run(sessions.authenticate, result.session_token)
    done = db.run(login.change_credentials, session_token=result.session_token,
                  current_password=PASSWORD, new_password=NEW_PASSWORD)
    assert isinstance(done, LoggedIn)
    db.run(sessions.authenticate, done.session_token)
    clock.advance(timedelta(days=89))
    assert isinstance(_login(db, NEW_PASSWORD), LoggedIn)


@pytest.mark.req("AUTH-10")
def test_login_rehashes_a_hash_made_with_older_parameters(db: Database) -> None:
    user_id = _user(db)   # hashed with the cheap test parameters
    with use_hasher(SecretHasher(OWASP)):
        assert isinstance(_login(db), LoggedIn)
    with db.transaction() as s:
        stored = s.execute(select(AuthSecret.hash).where(
            AuthSecret.user_id == user_id)).scalar_one()
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert isinstance(_login(db), LoggedIn)   # and it still verifies with any parameters
