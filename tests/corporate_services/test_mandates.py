"""預金口座振替依頼書 registered by the collecting company (DD-1): over the API and on the page,
checked against the payer's account (本人名義の普通・当座), and deciding the debit day's
依頼書なし (4) and 預金者都合 (3) from what was registered and withdrawn."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient

from kinko import clock
from kinko.auth import sessions
from kinko.auth.models import AuthUser
from kinko.auth.policy import rules_for
from kinko.config import Settings, get_settings
from kinko.corporate_services import debits
from kinko.corporate_services.models import (
    AgreementKind,
    AgreementState,
    DebitAgreement,
    DebitBatch,
)
from kinko.db import Database
from kinko.ledger.models import Account, AccountState, AccountType
from kinko.ledger.repository import find_account
from kinko.web.app import create_app
from kinko.web.auth import SESSION_COOKIE
from kinko.zengin import read
from kinko.zengin.reader import Options
from tests import factories
from tests.corporate_services.debit_support import ORIGINATOR, request_file
from tests.corporate_services.helpers import corporate

UPLOAD = datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST)
DEBIT_DAY = date(2026, 12, 7)
API = "/api/v1/corporate/direct-debit"


def _token(db: Database, user_id: int) -> str:
    with db.transaction() as s:
        user = s.get(AuthUser, user_id)
        assert user is not None
        return sessions.start(s, user, rules_for(user.product))[0]


def _company(db: Database) -> tuple[int, int, int]:
    """(user id, contract id, agreement id) of a collecting company."""
    with db.transaction() as s:
        actor, company = corporate(s, balance=0)
        agreement = debits.create_agreement(
            s, contract_id=actor.contract_id, kind=AgreementKind.DIRECT_DEBIT,
            originator_code=ORIGINATOR, originator_name="ｶ)ｷﾝｺｼﾖｳｼﾞ",
            settlement_account_id=company, actor="test")
        return actor.user_id, actor.contract_id, agreement.id


def _payer(db: Database, *, balance: int = 50_000, holder: str = "ﾔﾏﾀﾞ ﾀﾛｳ",
           account_type: AccountType = AccountType.ORDINARY) -> tuple[str, str]:
    with db.transaction() as s:
        acc = s.get(Account, factories.account(s, balance=balance, holder=holder,
                                               account_type=account_type))
        assert acc is not None
        return acc.branch_code, acc.number


@pytest.mark.req("DD-1")
def test_registered_withdrawn_and_missing_authorisations_decide_the_result_codes(
        db: Database) -> None:
    clock.set_now(UPLOAD)
    user_id, _, agreement_id = _company(db)
    signed, withdrawn, never = _payer(db), _payer(db, holder="ｻﾄｳ ﾊﾅｺ"), _payer(db)
    with TestClient(create_app(db, Settings())) as client:
        client.headers["Authorization"] = f"Bearer {_token(db, user_id)}"
        url = f"{API}/agreements/{agreement_id}/mandates"
        first = client.post(url, json={"branch_code": signed[0], "account_number": signed[1],
                                       "payer_name": "ﾔﾏﾀﾞﾀﾛｳ", "customer_number": "42"})
        assert first.status_code == 201, first.text
        assert first.json()["state"] == "active"
        second = client.post(url, json={"branch_code": withdrawn[0],
                                        "account_number": withdrawn[1],
                                        "payer_name": "ｻﾄｳ ﾊﾅｺ"})
        assert second.status_code == 201
        again = client.post(url, json={"branch_code": signed[0], "account_number": signed[1],
                                       "payer_name": "ﾔﾏﾀﾞ ﾀﾛｳ"})
        assert again.status_code == 409 and again.json()["code"] == "DD_MANDATE_EXISTS"
        gone = client.post(f"{API}/mandates/{second.json()['id']}/withdraw")
        assert gone.status_code == 200 and gone.json()["state"] == "stopped"
        listed = client.get(url).json()
        assert (listed["active"], listed["withdrawn"]) == (1, 1)
        assert {m["account_number"] for m in listed["mandates"]} == {signed[1], withdrawn[1]}
        assert client.get(url, params={"state": "active"}).json()["mandates"][0][
            "customer_number"] == "42"
        bank = get_settings().bank_code
        upload = client.post(f"{API}/agreements/{agreement_id}/batches", files={
            "file": ("dd.txt", request_file(
                [(bank, *signed, 1_000), (bank, *withdrawn, 2_000), (bank, *never, 3_000)],
                debit_date=DEBIT_DAY, today=UPLOAD.date()))})
        assert upload.status_code == 201, upload.text
        batch_id = upload.json()["id"]
    clock.set_now(datetime(2026, 12, 7, 9, 0, tzinfo=clock.JST))
    debits.run_due(db)
    with db.transaction() as s:
        batch = s.get(DebitBatch, batch_id)
        assert batch is not None
        codes = [d.result_code for d in read(debits.result_file(s, batch),  # type: ignore[attr-defined]
                                             Options(reference_date=DEBIT_DAY)
                                             ).groups[0].records]
    assert codes == ["0", "3", "4"]      # 振替済, 預金者都合, 依頼書なし


@pytest.mark.req("DD-1")
def test_an_authorisation_must_name_the_payers_own_demand_account(db: Database) -> None:
    """Bad fields, an unknown or closed account, a time deposit, another holder's name: each
    refused with the field named, nothing registered."""
    clock.set_now(UPLOAD)
    user_id, _, agreement_id = _company(db)
    payer = _payer(db)
    time_deposit = _payer(db, account_type=AccountType.TIME)
    closed = _payer(db, balance=0)
    with db.transaction() as s:
        found = find_account(s, *closed)
        assert found is not None
        found.state = AccountState.CLOSED
    cases = [
        ({"branch_code": "1", "account_number": "12", "payer_name": "ﾔﾏﾀﾞ"},
         {"branch_code", "account_number"}),
        ({"branch_code": payer[0], "account_number": payer[1], "payer_name": "山田太郎"},
         {"payer_name"}),
        ({"branch_code": payer[0], "account_number": payer[1], "payer_name": "ﾔﾏﾀﾞ ﾀﾛｳ",
          "customer_number": "12-34"}, {"customer_number"}),
        ({"branch_code": "001", "account_number": "9999999", "payer_name": "ﾔﾏﾀﾞ ﾀﾛｳ"},
         {"account_number"}),
        ({"branch_code": closed[0], "account_number": closed[1], "payer_name": "ﾔﾏﾀﾞ ﾀﾛｳ"},
         {"account_number"}),
        ({"branch_code": time_deposit[0], "account_number": time_deposit[1],
          "payer_name": "ﾔﾏﾀﾞ ﾀﾛｳ"}, {"account_number"}),
        ({"branch_code": payer[0], "account_number": payer[1], "payer_name": "ｽｽﾞｷ ｲﾁﾛｳ"},
         {"payer_name"}),
    ]
    with TestClient(create_app(db, Settings())) as client:
        client.headers["Authorization"] = f"Bearer {_token(db, user_id)}"
        url = f"{API}/agreements/{agreement_id}/mandates"
        for body, fields in cases:
            refused = client.post(url, json=body)
            assert refused.status_code == 422, (body, refused.text)
            assert refused.json()["code"] == "DD_MANDATE_INVALID"
            assert {e["field"] for e in refused.json()["errors"]} == fields, body
        assert client.get(url).json()["mandates"] == []
        # Another company's agreement and 依頼書 are not found.
        other_user, _, other_agreement = _company_with(db, "2234567890")
        theirs = _token(db, other_user)
        made = client.post(f"{API}/agreements/{other_agreement}/mandates", json={
            "branch_code": payer[0], "account_number": payer[1], "payer_name": "ﾔﾏﾀﾞ ﾀﾛｳ"},
            headers={"Authorization": f"Bearer {theirs}"})
        assert made.status_code == 201
        assert client.get(f"{API}/agreements/{other_agreement}/mandates").status_code == 404
        stolen = client.post(f"{API}/mandates/{made.json()['id']}/withdraw")
        assert stolen.status_code == 404
        assert client.get(f"{API}/agreements/{other_agreement}/mandates", headers={
            "Authorization": f"Bearer {theirs}"}).json()["active"] == 1
    # An ended agreement takes no more 依頼書.
    with db.transaction() as s:
        agreement = s.get(DebitAgreement, agreement_id)
        assert agreement is not None
        agreement.state = AgreementState.ENDED
    with TestClient(create_app(db, Settings())) as client:
        client.headers["Authorization"] = f"Bearer {_token(db, user_id)}"
        assert client.post(f"{API}/agreements/{agreement_id}/mandates", json={
            "branch_code": payer[0], "account_number": payer[1],
            "payer_name": "ﾔﾏﾀﾞ ﾀﾛｳ"}).status_code == 404


def _company_with(db: Database, originator: str) -> tuple[int, int, int]:
    with db.transaction() as s:
        actor, company = corporate(s, balance=0)
        agreement = debits.create_agreement(
            s, contract_id=actor.contract_id, kind=AgreementKind.DIRECT_DEBIT,
            originator_code=originator, originator_name="ｶ)ﾍﾞﾂｼﾔ",
            settlement_account_id=company, actor="test")
        return actor.user_id, actor.contract_id, agreement.id


@pytest.mark.req("DD-1")
@pytest.mark.req("UI-1")
def test_the_authorisation_page_lists_registers_and_withdraws(db: Database) -> None:
    clock.set_now(UPLOAD)
    user_id, _, agreement_id = _company(db)
    payer = _payer(db)
    page_url = f"/corporate/direct-debit/{agreement_id}/mandates"
    with TestClient(create_app(db, Settings())) as client:
        client.cookies.set(SESSION_COOKIE, _token(db, user_id))
        assert page_url in client.get("/corporate/direct-debit").text
        page = client.get(page_url)
        assert page.status_code == 200 and "登録された依頼書はありません" in page.text
        csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
        assert csrf
        form = {"branch_code": payer[0], "account_number": payer[1],
                "payer_name": "ｽｽﾞｷ ｲﾁﾛｳ", "csrf_token": csrf[1]}
        wrong = client.post(page_url, data=form)
        assert wrong.status_code == 422
        assert "預金者名: 預金者名が口座名義と一致しません" in wrong.text
        assert 'value="ｽｽﾞｷ ｲﾁﾛｳ"' in wrong.text          # the form keeps what was typed
        done = client.post(page_url, data={**form, "payer_name": "ﾔﾏﾀﾞ ﾀﾛｳ"},
                           follow_redirects=False)
        assert done.status_code == 303
        listed = client.get(done.headers["location"]).text
        assert payer[1] in listed and "有効 1 / 解約済 0" in listed
        mandate_id = re.search(r'data-mandate="(\d+)"', listed)
        assert mandate_id
        assert client.post(f"/corporate/direct-debit/mandates/{mandate_id[1]}/withdraw",
                           data={"csrf_token": "bad"}).status_code == 403
        gone = client.post(f"/corporate/direct-debit/mandates/{mandate_id[1]}/withdraw",
                           data={"csrf_token": csrf[1]})
        assert gone.status_code == 200 and "有効 0 / 解約済 1" in gone.text
        english = client.post(f"{page_url}?lang=en", data=form)
        assert english.status_code == 422
        assert "Payer name: the payer name is not the account holder&#39;s name" in english.text


@pytest.mark.req("DD-1")
def test_the_bank_records_and_withdraws_authorisations_from_the_command_line(
        db: Database) -> None:
    from typer.testing import CliRunner

    from kinko.cli import app as cli

    clock.set_now(UPLOAD)
    _, _, agreement_id = _company(db)
    payer = _payer(db)
    url = db.url.render_as_string(hide_password=False)
    runner = CliRunner()
    base = ["corporate", "dd-mandate", "--agreement-id", str(agreement_id), "--account",
            "-".join(payer), "--database-url", url]
    assert "1 mandates registered" in runner.invoke(cli, base).output
    listed = runner.invoke(cli, ["corporate", "dd-mandates", "--agreement-id",
                                 str(agreement_id), "--database-url", url]).output
    assert f"{'-'.join(payer)}\tactive" in listed
    assert "1 mandates withdrawn" in runner.invoke(cli, [*base, "--withdraw"]).output
    listed = runner.invoke(cli, ["corporate", "dd-mandates", "--agreement-id",
                                 str(agreement_id), "--database-url", url]).output
    assert f"{'-'.join(payer)}\tstopped" in listed
    bad = runner.invoke(cli, [*base[:5], "001x1234567", *base[6:]])
    assert bad.exit_code != 0 and "BRANCH-NUMBER" in bad.output
