"""FEE-1: the monthly base fee per course, on the policy's day from the representative account
through the ledger; a fee change applies from its effective date; short funds leave it unpaid
until the account is funded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from kinko import clock
from kinko.auth.models import Course
from kinko.config import reset_settings
from kinko.corporate_services import fees
from kinko.corporate_services.models import ChargeState
from kinko.db import Database
from kinko.ledger.models import Account
from kinko.ledger.rules import Leg
from kinko.ledger.service import EntryRequest, check_books, post
from kinko.policy import reset_policy_cache
from tests import factories
from tests.corporate_services.helpers import corporate

POLICY = """
[[version]]
effective_from = 2027-01-01T00:00:00+09:00
note = "base fee revision"
fees.monthly_base_fee = { light = 0, basic = 2_200, comprehensive = 5_500 }
"""


@pytest.fixture
def fee_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY, encoding="utf-8")
    monkeypatch.setenv("KINKO_POLICY_FILE", str(path))
    reset_settings()
    reset_policy_cache()
    yield
    monkeypatch.delenv("KINKO_POLICY_FILE")
    reset_settings()
    reset_policy_cache()


def _at(day: date) -> None:
    clock.set_now(datetime(day.year, day.month, day.day, 8, 0, tzinfo=clock.JST))


def _balance(db: Database, account_id: int) -> int:
    with db.transaction() as s:
        account = s.get(Account, account_id)
        assert account is not None
        return account.balance


@pytest.mark.req("FEE-1")
def test_debited_on_the_day_and_a_change_applies_from_its_date(db: Database,
                                                               fee_change: None) -> None:
    _at(date(2026, 11, 20))
    with db.transaction() as s:
        actor, account_id = corporate(s, balance=10_000, course=Course.BASIC)
    _at(date(2026, 12, 9))                  # before the 10th: nothing
    with db.transaction() as s:
        assert fees.charge_due(s).charged == 0
    _at(date(2026, 12, 10))
    with db.transaction() as s:
        assert fees.charge_due(s) == fees.FeeRun(1, 1, 0)
        assert fees.charge_due(s).charged == 0           # once a month
    assert _balance(db, account_id) == 10_000 - 1_100
    # 2027-01-10 is a Sunday and the 11th Coming of Age Day: debited on the 12th, at the
    # new fee in force since 2027-01-01.
    _at(date(2027, 1, 11))
    with db.transaction() as s:
        assert fees.charge_due(s).charged == 0
    _at(date(2027, 1, 12))
    with db.transaction() as s:
        fees.charge_due(s)
        charges = fees.charges_of(s, actor.contract_id)
    assert [(c.month, c.amount, c.state) for c in charges] == [
        (date(2027, 1, 1), 2_200, ChargeState.PAID), (date(2026, 12, 1), 1_100, ChargeState.PAID)]
    assert _balance(db, account_id) == 10_000 - 1_100 - 2_200


@pytest.mark.req("FEE-1")
def test_short_funds_leave_it_unpaid_until_funded(db: Database) -> None:
    _at(date(2026, 11, 20))
    with db.transaction() as s:
        _, account_id = corporate(s, balance=500, course=Course.BASIC)
    _at(date(2026, 12, 10))
    with db.transaction() as s:
        assert fees.charge_due(s) == fees.FeeRun(1, 0, 1)
    assert _balance(db, account_id) == 500
    with db.transaction() as s:
        post(s, EntryRequest(kind="deposit", legs=[Leg(factories.cash(s), -1_000),
                                                   Leg(account_id, 1_000)]), actor="test")
    _at(date(2026, 12, 11))
    with db.transaction() as s:
        assert fees.charge_due(s) == fees.FeeRun(0, 1, 0)
        check = check_books(s)
        assert check.debits == check.credits and not check.mismatched
    assert _balance(db, account_id) == 1_500 - 1_100


def test_daily_command_and_the_fee_list(db: Database) -> None:
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from kinko.auth import sessions
    from kinko.auth.models import AuthUser
    from kinko.auth.policy import rules_for
    from kinko.cli import app as cli
    from kinko.config import Settings
    from kinko.web.app import create_app

    _at(date(2026, 11, 20))
    with db.transaction() as s:
        actor, _ = corporate(s, balance=5_000, course=Course.BASIC)
    ran = CliRunner().invoke(cli, ["corporate", "daily", "--at", "2026-12-10T08:00",
                                   "--database-url",
                                   db.url.render_as_string(hide_password=False)])
    assert ran.exit_code == 0, ran.output
    assert "'paid': 1" in ran.output
    _at(date(2026, 12, 10))
    with db.transaction() as s:
        user = s.get(AuthUser, actor.user_id)
        assert user is not None
        token, _ = sessions.start(s, user, rules_for(user.product))
    with TestClient(create_app(db, Settings())) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        listed = client.get("/api/v1/corporate/fees").json()
        assert listed["course"] == "basic"
        assert listed["charges"][0] == {"month": "2026-12", "amount": 1_100, "state": "paid",
                                        "due_on": "2026-12-10", "paid_on": "2026-12-10"}
        assert "1,100" in client.get("/corporate/services").text
