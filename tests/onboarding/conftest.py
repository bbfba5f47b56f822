"""Onboarding test fixtures: a bank with a branch, its books and three operators; a web client;
and THE one way these tests sign an operator in (:func:`operator_login`), so that a new
operator sign-in changes one function."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from kinko import clock
from kinko.auth.crypto import CHEAP_FOR_TESTS, SecretHasher, use_hasher
from kinko.backoffice import operators
from kinko.backoffice.models import OperatorRole
from kinko.config import Settings
from kinko.db import Database
from kinko.ledger.books import ensure_books
from kinko.parties.models import Branch
from kinko.web.app import create_app

# A Friday morning in Tokyo, a business day.
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST)


@pytest.fixture(autouse=True)
def cheap_hasher() -> Iterator[None]:
    with use_hasher(SecretHasher(CHEAP_FOR_TESTS)):
        yield


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[datetime]:
    clock.set_now(T0)
    yield T0
    clock.set_now(None)


@dataclass(frozen=True)
class Bank:
    teller: int      # T001: asks
    security: int    # S001: approves
    security2: int   # S002: approves too


@pytest.fixture
def bank(db: Database) -> Bank:
    def make(s: Session) -> Bank:
        s.add(Branch(code="001", name="本店", name_kana="ﾎﾝﾃﾝ"))
        s.flush()
        ensure_books(s, actor="test")
        ids = [operators.create_operator(s, code=code, name=name, roles=[role],
                                         actor="system:test").id
               for code, name, role in (("T001", "窓口 花子", OperatorRole.TELLER),
                                        ("S001", "事務 太郎", OperatorRole.SECURITY),
                                        ("S002", "事務 次郎", OperatorRole.SECURITY))]
        return Bank(*ids)
    return db.run(make)


@pytest.fixture
def web(db: Database, bank: Bank) -> Iterator[TestClient]:
    with TestClient(create_app(db, Settings())) as client:
        yield client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def issue_operator_key(db: Database, code: str) -> str:
    """A new console access key for operator ``code`` (the sign-in secret of today)."""
    def issue(s: Session) -> str:
        operator = operators.operator_by_code(s, code)
        assert operator is not None
        return operators.issue_access_key(s, operator_id=operator.id, actor="system:test")
    return db.run(issue)


def operator_login(web: TestClient | Any, code: str, *, base_url: str = "",
                   db: Database | None = None) -> str:
    """THE operator sign-in of these tests, over HTTP (a TestClient: returns the console's
    CSRF token) or in a browser (a Playwright page with ``base_url`` and ``db``).

    Today an operator signs in with a newly issued access key on /operator/login; when the
    sign-in changes, only this function changes.
    """
    if isinstance(web, TestClient):
        key = issue_operator_key(web.app.state.db, code)  # type: ignore[attr-defined]
        web.cookies.clear()
        page = web.get("/operator/login")
        done = web.post("/operator/login", data={"csrf_token": csrf_of(page.text),
                                                 "code": code, "key": key},
                        follow_redirects=False)
        assert done.status_code == 303, done.text[:300]
        return csrf_of(web.get("/operator/customers").text)
    assert db is not None
    key = issue_operator_key(db, code)
    web.goto(f"{base_url}/operator/login")
    web.fill("input[name=code]", code)
    web.fill("input[name=key]", key)
    web.click("#operator-login button[type=submit]")
    web.wait_for_url(f"{base_url}/operator")
    return ""
