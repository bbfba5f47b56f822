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
from tests.operator_login import sign_in_operator

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


def operator_login(web: TestClient | Any, code: str, *, base_url: str = "",
                   db: Database | None = None) -> str:
    """THE operator sign-in of these tests (password + TOTP on /operator/login): see
    tests/operator_login.py. Returns the console's CSRF token for a TestClient."""
    return sign_in_operator(web, code, db=db, base_url=base_url)
    return ""
