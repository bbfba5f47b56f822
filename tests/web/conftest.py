"""A logged-in retail-003 customer over real HTTP: enrolled, with an active hard token."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from kinko import clock
from kinko.auth import otp, sessions
from kinko.auth import repository as auth_repo
from kinko.auth.enrolment import enrol_retail_003
from kinko.auth.models import AuthUser, TokenIssueReason
from kinko.auth.policy import rules_for
from kinko.auth.tokens import issue_hard_token
from kinko.config import Settings
from kinko.db import Database
from kinko.ledger.models import Account
from kinko.web.app import create_app
from tests import factories


@dataclass
class Customer:
    client: TestClient
    user_id: int
    account_id: int
    payee: tuple[str, str]
    token: str

    def otp(self, db: Database) -> str:
        with db.transaction() as s:
            token = auth_repo.active_token(s, self.user_id)
            assert token is not None
            return otp.code_at(token, clock.now())


def login(db: Database, *, balance: int = 100_000, holder: str = "ﾔﾏﾀﾞ ﾀﾛｳ") -> tuple[int, int, str]:
    with db.transaction() as s:
        c = factories.customer(s, name_kana=holder)
        c.email = f"{c.number.lower()}@example.jp"
        initial = enrol_retail_003(s, customer_id=c.id, actor="test")
        user = s.get(AuthUser, initial.user_id)
        assert user is not None
        user.must_change_login_id = False
        user.must_change_password = False
        issue_hard_token(s, contract_id=user.contract_id, serial=f"T{user.id:08d}",
                         reason=TokenIssueReason.INITIAL, user_id=user.id, activate=True,
                         actor="test")
        account_id = factories.account(s, balance=balance, holder=holder)
        acc = s.get(Account, account_id)
        assert acc is not None
        acc.customer_id = c.id
        token, _ = sessions.start(s, user, rules_for(user.product))
        return user.id, account_id, token


@pytest.fixture
def customer(db: Database) -> Iterator[Customer]:
    clock.set_now(datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST))
    user_id, account_id, token = login(db)
    with db.transaction() as s:
        target = s.get(Account, factories.account(s, holder="ｻﾄｳ ﾊﾅｺ"))
        assert target is not None
        payee = (target.branch_code, target.number)
    with TestClient(create_app(db, Settings())) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield Customer(client, user_id, account_id, payee, token)
