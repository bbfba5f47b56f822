"""Login throttling over HTTP (issue 9 finding 4) and lockout answers that do not reveal which
IDs exist (issue 10 finding 9): AUTH-6, AUTH-10."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kinko import clock
from kinko.auth import throttle
from kinko.auth.crypto import CHEAP_FOR_TESTS, SecretHasher, use_hasher
from kinko.auth.models import AuthUser, LoginThrottle, Product, UserState
from kinko.auth.policy import overridden, rules_for
from kinko.config import Settings
from kinko.db import Database
from kinko.web import demo_users as du
from kinko.web.app import create_app
from tests.e2e.support import T0, Demo, build_demo

JSON = {"Accept": "application/json"}
LOGIN_001 = "/api/v1/auth/login/retail-001"
LOGIN_002 = "/api/v1/auth/login/corporate"


@pytest.fixture(autouse=True)
def cheap_hasher() -> Iterator[None]:
    with use_hasher(SecretHasher(CHEAP_FOR_TESTS)):
        yield


@pytest.fixture
def demo(db: Database) -> Demo:
    clock.set_now(T0)
    return build_demo(db)


@pytest.fixture
def app(db: Database, demo: Demo) -> FastAPI:
    return create_app(db, Settings())


def client_at(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, headers=JSON, client=(address, 50000))


def login_001(client: TestClient, member: str, password: str = "Wrong1Pass"
              ) -> httpx.Response:
    return client.post(LOGIN_001, json={"member_number": member, "password": password})


def user_row(db: Database, user_id: int | None) -> AuthUser:
    with db.transaction() as s:
        user = s.get(AuthUser, user_id)
        assert user is not None
        s.expunge(user)
        return user


def is_throttled(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "AUTH_TOO_MANY_ATTEMPTS"
    wait = int(response.headers["Retry-After"])
    assert 0 < wait <= rules_for(Product.RETAIL_001).throttle_window.total_seconds()
    return wait


@pytest.mark.req("AUTH-6")
def test_spraying_many_ids_from_one_address_is_slowed(app: FastAPI, db: Database) -> None:
    """One password over many member numbers from one address: after the per-address
    number of failures every attempt from there is 429 until the window ends, without a
    password being checked; other addresses are not affected."""
    limit = 20
    with overridden(throttle_failures_per_address=limit):
        sprayer = client_at(app, "198.51.100.7")
        answers = [login_001(sprayer, f"3{n:07d}").status_code for n in range(limit + 10)]
        assert answers[:limit] == [401] * limit
        assert all(a == 429 for a in answers[limit:])
        wait = is_throttled(login_001(sprayer, "39999999"))
        # Even the right password is not tried from there now: nothing is learnt.
        is_throttled(login_001(sprayer, du.YAMADA_MEMBER_NUMBER, du.YAMADA_PASSWORD))
        # Another address logs in as usual.
        elsewhere = client_at(app, "203.0.113.20")
        assert login_001(elsewhere, du.YAMADA_MEMBER_NUMBER, du.YAMADA_PASSWORD
                         ).status_code == 200
        clock.advance(timedelta(seconds=wait))
        assert login_001(sprayer, "39999998").status_code == 401


@pytest.mark.req("AUTH-6")
def test_customers_behind_one_address_are_not_throttled_by_their_logins(
        app: FastAPI, db: Database) -> None:
    """A company's NAT: successful logins never count, and the failures of people mistyping
    stay far below the per-address limit (here lowered to 10 to show the margin)."""
    with overridden(throttle_failures_per_address=10):
        office = client_at(app, "192.0.2.1")
        for round_ in range(30):
            assert login_001(office, du.YAMADA_MEMBER_NUMBER, du.YAMADA_PASSWORD
                             ).status_code == 200
            if round_ % 5 == 0:   # now and then someone mistypes their member number
                assert login_001(office, f"2{round_:07d}").status_code == 401
        assert login_001(office, du.YAMADA_MEMBER_NUMBER, du.YAMADA_PASSWORD
                         ).status_code == 200


@pytest.mark.req("AUTH-6")
def test_no_one_can_lock_an_id_in_less_than_a_window(app: FastAPI, db: Database,
                                                     demo: Demo) -> None:
    """retail-001 locks until released: five wrong passwords from five addresses would
    stop the customer until a branch releases them. The per-ID limit (4 per 15 minutes)
    answers the fifth 429 before the lockout counter moves."""
    yamada = demo.user(du.YAMADA_MEMBER_NUMBER).user_id
    answers = [login_001(client_at(app, f"198.51.100.{i}"), du.YAMADA_MEMBER_NUMBER)
               for i in range(1, 7)]
    assert [a.status_code for a in answers] == [401, 401, 401, 401, 429, 429]
    user = user_row(db, yamada)
    assert (user.state, user.failure_count) == (UserState.ACTIVE, 4)
    # The customer, from home, waits as long as anyone else and then logs in.
    home = client_at(app, "203.0.113.9")
    wait = is_throttled(login_001(home, du.YAMADA_MEMBER_NUMBER, du.YAMADA_PASSWORD))
    clock.advance(timedelta(seconds=wait))
    assert login_001(home, du.YAMADA_MEMBER_NUMBER, du.YAMADA_PASSWORD).status_code == 200
    assert user_row(db, yamada).failure_count == 0


@pytest.mark.req("AUTH-6")
def test_first_use_is_throttled_per_account(app: FastAPI, db: Database) -> None:
    client = client_at(app, "198.51.100.50")
    body = {"branch_code": "001", "account_type": "ordinary", "account_number": "0999999",
            "temporary_login_password": "Wrong1Pass",
            "temporary_confirmation_password": "Wrong2Pass", "login_id": "someone01"}
    answers = [client.post("/api/v1/auth/first-use", json=body) for _ in range(5)]
    assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]
    assert int(answers[-1].headers["Retry-After"]) > 0


@pytest.mark.req("AUTH-6")
def test_the_throttle_keeps_no_address_or_id_in_clear_and_is_pruned(
        app: FastAPI, db: Database) -> None:
    client = client_at(app, "198.51.100.77")
    login_001(client, "31234567")
    with db.transaction() as s:
        rows = s.execute(select(LoginThrottle)).scalars().all()
        assert {r.kind.value for r in rows} == {"address", "target", "unknown_id"}
        text = " ".join(f"{r.key}" for r in rows)
        assert "198.51.100.77" not in text and "31234567" not in text
    clock.advance(timedelta(days=1))
    with db.transaction() as s:
        assert throttle.prune(s) == 2          # the two ended windows
    clock.advance(throttle.UNKNOWN_ID_RETENTION)
    with db.transaction() as s:
        assert throttle.prune(s) == 1
        assert s.execute(select(func.count()).select_from(LoginThrottle)).scalar_one() == 0


# --- an unknown ID answers like a known one (issue 10 finding 9) ------------------------


def _sequence(app: FastAPI, path: str, body: dict[str, Any], steps: list[str]
              ) -> list[tuple[int, str]]:
    """The (status, code) of each step: ``try`` one wrong attempt, or ``wait`` the lockout."""
    client = client_at(app, "203.0.113.44")
    seen: list[tuple[int, str]] = []
    for step in steps:
        if step == "wait":
            clock.advance(timedelta(minutes=31))
            continue
        response = client.post(path, json=body)
        seen.append((response.status_code, response.json().get("code", "")))
    return seen


@pytest.mark.req("AUTH-6")
@pytest.mark.req("AUTH-10")
def test_an_unknown_member_number_locks_like_a_known_one(app: FastAPI, db: Database) -> None:
    """retail-001 (until released): 401 ×4, then 423 AUTH_LOCKED_UNTIL_RELEASED for good,
    whether the member number exists or not."""
    steps = ["try"] * 8 + ["wait"] + ["try"] * 2
    with overridden(throttle_failures_per_id=1000):
        known = _sequence(app, LOGIN_001, {"member_number": du.YAMADA_MEMBER_NUMBER,
                                           "password": "Wrong1Pass"}, steps)
        unknown = _sequence(app, LOGIN_001, {"member_number": "19999999",
                                             "password": "Wrong1Pass"}, steps)
    assert known == unknown
    assert known == [(401, "AUTH_INVALID_CREDENTIALS")] * 4 + [
        (423, "AUTH_LOCKED_UNTIL_RELEASED")] * 6


@pytest.mark.req("AUTH-6")
@pytest.mark.req("AUTH-10")
def test_an_unknown_corporate_id_locks_and_blocks_like_a_known_one(
        app: FastAPI, db: Database) -> None:
    """corporate-002 (30 minutes): lockout, its end, and the block at the third lockout,
    step for step the same for an ID that does not exist."""
    steps = (["try"] * 6 + ["wait"]) * 2 + ["try"] * 6 + ["wait"] + ["try"]
    with overridden(throttle_failures_per_id=1000):
        known = _sequence(app, LOGIN_002, {"login_id": du.SHOJI_LOGIN_ID,
                                           "password": "Wrong1Pass"}, steps)
        unknown = _sequence(app, LOGIN_002, {"login_id": "nosuchfirm",
                                             "password": "Wrong1Pass"}, steps)
    assert known == unknown
    wrong, locked = (401, "AUTH_INVALID_CREDENTIALS"), (423, "AUTH_LOCKED_OUT")
    blocked = (423, "AUTH_BLOCKED")
    assert known == ([wrong] * 4 + [locked] * 2) * 2 + [wrong] * 4 + [blocked] * 3
