"""DD-1 over real HTTP: upload, refusal with record numbers, the bank's run, the result file,
and the command line that registers the agreement and runs the debit day."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kinko import clock
from kinko.auth import sessions
from kinko.auth.models import AuthUser
from kinko.auth.policy import rules_for
from kinko.cli import app as cli
from kinko.config import Settings, get_settings
from kinko.db import Database
from kinko.ledger.models import Account
from kinko.web.app import create_app
from kinko.zengin import read
from kinko.zengin.reader import Options
from tests import factories
from tests.corporate_services.debit_support import ORIGINATOR, request_file
from tests.corporate_services.helpers import corporate

UPLOAD = datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST)


def _login(db: Database, client: TestClient, user_id: int) -> None:
    """A fresh session after the clock moved days ahead."""
    with db.transaction() as s:
        user = s.get(AuthUser, user_id)
        assert user is not None
        token, _ = sessions.start(s, user, rules_for(user.product))
    client.headers["Authorization"] = f"Bearer {token}"


def _url(db: Database) -> str:
    return db.url.render_as_string(hide_password=False)


@pytest.mark.req("DD-1")
def test_upload_run_and_result_over_http_and_cli(db: Database) -> None:
    clock.set_now(UPLOAD)
    with db.transaction() as s:
        actor, company = corporate(s, balance=0)
        acc = s.get(Account, company)
        assert acc is not None
        company_ref = f"{acc.branch_code}-{acc.number}"
        payer = s.get(Account, factories.account(s, balance=30_000))
        assert payer is not None
        payer_ref = (payer.branch_code, payer.number)
        user = s.get(AuthUser, actor.user_id)
        assert user is not None
        token, _ = sessions.start(s, user, rules_for(user.product))
    runner = CliRunner()
    made = runner.invoke(cli, ["corporate", "dd-agreement", "--contract-id",
                               str(actor.contract_id), "--originator-code", ORIGINATOR,
                               "--originator-name", "ｶ)ｷﾝｺｼﾖｳｼﾞ", "--account", company_ref,
                               "--database-url", _url(db)])
    assert made.exit_code == 0, made.output
    agreement_id = int(made.output.split()[-1])
    mandated = runner.invoke(cli, ["corporate", "dd-mandate", "--agreement-id",
                                   str(agreement_id), "--account", "-".join(payer_ref),
                                   "--database-url", _url(db)])
    assert mandated.exit_code == 0, mandated.output
    bank = get_settings().bank_code
    good = request_file([(bank, *payer_ref, 12_000)], debit_date=date(2026, 12, 7),
                        today=UPLOAD.date())
    bad = request_file([(bank, *payer_ref, 12_000), ("0005", "001", "1234567", 1)],
                       debit_date=date(2026, 12, 7), today=UPLOAD.date())
    with TestClient(create_app(db, Settings())) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        listed = client.get("/api/v1/corporate/direct-debit/agreements").json()
        assert listed["agreements"][0]["originator_code"] == ORIGINATOR
        upload = f"/api/v1/corporate/direct-debit/agreements/{agreement_id}/batches"
        refused = client.post(upload, files={"file": ("dd.txt", bad)})
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["record"] == 3
        created = client.post(upload, files={"file": ("dd.txt", good)})
        assert created.status_code == 201, created.text
        batch = created.json()
        assert batch["debit_date"] == "2026-12-07" and batch["settlement_date"] == "2026-12-08"
        early = client.get(f"/api/v1/corporate/direct-debit/batches/{batch['id']}/result")
        assert early.status_code == 409
        ran = runner.invoke(cli, ["corporate", "dd-run", "--at", "2026-12-07T09:00",
                                  "--database-url", _url(db)])
        assert ran.exit_code == 0, ran.output
        clock.set_now(datetime(2026, 12, 7, 10, 0, tzinfo=clock.JST))
        _login(db, client, actor.user_id)
        result = client.get(f"/api/v1/corporate/direct-debit/batches/{batch['id']}/result")
        assert result.status_code == 200
        records = list(read(result.content, Options(reference_date=date(2026, 12, 7))
                            ).groups[0].records)
        assert [x.result_code for x in records] == ["0"]  # type: ignore[attr-defined]
        ran = runner.invoke(cli, ["corporate", "dd-run", "--at", "2026-12-08T09:00",
                                  "--database-url", _url(db)])
        assert "settled 1" in ran.output
        clock.set_now(datetime(2026, 12, 8, 10, 0, tzinfo=clock.JST))
        _login(db, client, actor.user_id)
        assert client.get(f"/api/v1/corporate/direct-debit/batches/{batch['id']}"
                          ).json()["state"] == "settled"
        page = client.get("/corporate/direct-debit")
        assert page.status_code == 200 and "振替結果" in page.text
    with db.transaction() as s:
        assert s.get(Account, company).balance == 12_000 - 110  # type: ignore[union-attr]
