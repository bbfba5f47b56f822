"""ZEN-2 over real HTTP and the command line: the files a corporate user downloads."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kinko import clock
from kinko.auth import sessions
from kinko.auth.models import AuthUser
from kinko.auth.policy import rules_for
from kinko.cli import app as cli
from kinko.config import Settings
from kinko.db import Database
from kinko.ledger.models import Account
from kinko.ledger.rules import Leg
from kinko.ledger.service import EntryRequest, post
from kinko.web.app import create_app
from kinko.zengin import read
from kinko.zengin import records as r
from kinko.zengin.reader import Options
from tests import factories
from tests.corporate_services.helpers import corporate


def _client(db: Database) -> tuple[TestClient, int, str]:
    clock.set_now(datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST))
    with db.transaction() as s:
        actor, account_id = corporate(s, balance=300_000)
        other = factories.account(s, balance=100_000)
        post(s, EntryRequest(kind="transfer", legs=[
            Leg(other, -20_000, "ｶ)ｷﾝｺｼﾖｳｼﾞ"), Leg(account_id, 20_000, "ﾔﾏﾀﾞ ﾀﾛｳ")]),
            actor="test")
        user = s.get(AuthUser, actor.user_id)
        assert user is not None
        token, _ = sessions.start(s, user, rules_for(user.product))
        acc = s.get(Account, account_id)
        assert acc is not None
        ref = f"{acc.branch_code}-{acc.number}"
    client = TestClient(create_app(db, Settings()))
    client.headers["Authorization"] = f"Bearer {token}"
    return client, account_id, ref


@pytest.mark.req("ZEN-2")
def test_download_through_the_api_and_the_page(db: Database) -> None:
    client, account_id, _ = _client(db)
    with client:
        got = client.get("/api/v1/corporate/zengin/statements",
                         params={"date_from": "2026-11-01", "date_to": "2026-11-20",
                                 "account_id": account_id})
        assert got.status_code == 200, got.text
        assert "attachment" in got.headers["content-disposition"]
        file = read(got.content, Options(reference_date=date(2026, 11, 20)))
        trailer = file.groups[0].trailer
        assert isinstance(trailer, r.StatementTrailer)
        assert trailer.signed_closing_balance == 320_000
        incoming = client.get("/api/v1/corporate/zengin/incoming",
                              params={"date_from": "2026-11-01", "date_to": "2026-11-20",
                                      "form": "camt"})
        assert incoming.status_code == 200
        assert b"BkToCstmrDbtCdtNtfctn" in incoming.content
        bad = client.get("/api/v1/corporate/zengin/statements",
                         params={"date_from": "2026-11-20", "date_to": "2026-11-01"})
        assert bad.status_code == 422
        assert bad.json()["code"] == "STATEMENT_PERIOD_INVALID"
        page = client.get("/corporate/services")
        assert page.status_code == 200 and "入出金取引明細" in page.text


def _url(db: Database) -> str:
    return db.url.render_as_string(hide_password=False)


@pytest.mark.req("ZEN-2")
def test_command_writes_a_valid_file(db: Database, tmp_path: Path) -> None:
    _, _, ref = _client(db)
    out = tmp_path / "st.txt"
    result = CliRunner().invoke(cli, ["corporate", "zengin-statement", "--account", ref,
                                      "--from", "2026-11-01", "--to", "2026-11-20",
                                      "--out", str(out), "--database-url", _url(db)])
    assert result.exit_code == 0, result.output
    file = read(out.read_bytes(), Options(reference_date=date(2026, 11, 20)))
    assert file.type_code == "03"
    missing = CliRunner().invoke(cli, ["corporate", "zengin-statement", "--account",
                                       "001-0000000", "--from", "2026-11-01", "--to", "2026-11-20",
                                       "--out", str(out), "--database-url", _url(db)])
    assert missing.exit_code == 2
