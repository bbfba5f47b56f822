"""Claims over real HTTP: the customer's API and pages, the operator's queue, case view,
four-eyes decision and payment, and the decision letter (UI-1, CLM-1, CRED-6, OPS-1, OPS-2)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from kinko import clock
from kinko.auth import compromise, sessions
from kinko.auth.models import AuthUser
from kinko.auth.policy import rules_for
from kinko.claims.models import Claim, ClaimState
from kinko.config import Settings
from kinko.db import Database
from kinko.web.app import create_app
from tests.claims.bank import FRAUD_DAY, REPORT_DAY, Bank, balance, make_bank, transfer
from tests.claims.conftest import sign_in_operator

HTML = {"Accept": "text/html"}


@pytest.fixture
def app(db: Database) -> Any:
    return create_app(db, Settings())


@pytest.fixture
def bank(db: Database) -> Bank:
    clock.set_now(FRAUD_DAY)
    return make_bank(db)


def _session(db: Database, user_id: int) -> str:
    def start(s):  # type: ignore[no-untyped-def]
        user = s.get(AuthUser, user_id)
        return sessions.start(s, user, rules_for(user.product))[0]
    return db.run(start)


@pytest.fixture
def api(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.mark.req("CRED-6")
@pytest.mark.req("CLM-1")
def test_report_over_the_api_stops_the_service(db: Database, bank: Bank,
                                               api: TestClient) -> None:
    tx = transfer(db, bank, bank.thief, 200_000, "f1")
    clock.set_now(REPORT_DAY)
    token = _session(db, bank.actor.user_id)
    auth = {"Authorization": f"Bearer {token}"}
    listed = api.get("/api/v1/claims/transactions", headers=auth).json()["transactions"]
    assert [t["id"] for t in listed] == [tx] and listed[0]["fee"] == 110
    bad = api.post("/api/v1/claims", headers=auth, json={"noticed_on": "2026-11-24",
                                                        "transaction_ids": []})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    future = api.post("/api/v1/claims", headers=auth, json={
        "noticed_on": "2026-12-24", "transaction_ids": [tx]})
    assert future.status_code == 422 and future.json()["code"] == "CLAIM_INVALID"
    done = api.post("/api/v1/claims", headers=auth, json={
        "noticed_on": "2026-11-24", "stolen_on": None, "transaction_ids": [tx],
        "police_report_ref": "第123号", "explanation": "身に覚えがない"})
    assert done.status_code == 201, done.text
    assert done.json()["service_stopped"] and done.json()["claim"]["state"] == "received"
    # The session ended with the report.
    assert api.get("/api/v1/claims", headers=auth).status_code == 401


@pytest.mark.req("UI-1")
@pytest.mark.req("CLM-1")
def test_customer_reports_on_the_page_and_follows_the_claim(db: Database, bank: Bank,
                                                            api: TestClient) -> None:
    tx = transfer(db, bank, bank.thief, 200_000, "f1")
    clock.set_now(REPORT_DAY)
    token = _session(db, bank.actor.user_id)
    api.headers.update(HTML)
    api.cookies.set("kinko_session", token)
    page = api.get("/banking/claims/new")
    assert page.status_code == 200 and f'value="{tx}"' in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    wrong = api.post("/banking/claims", data={"csrf_token": csrf.group(1),
                                              "noticed_on": "yesterday",
                                              "transaction_ids": [str(tx)]})
    assert wrong.status_code == 422 and 'role="alert"' in wrong.text
    sent = api.post("/banking/claims", data={
        "csrf_token": csrf.group(1), "noticed_on": "2026-11-24", "stolen_on": "",
        "transaction_ids": [str(tx)], "police_report_ref": "第123号",
        "explanation": "覚えのない振込", "unavoidable_delay_days": "0"})
    assert sent.status_code == 200 and "ご利用を直ちに停止しました" in sent.text
    claim_id = re.search(r'class="claim-id">(\d+)<', sent.text)
    assert claim_id
    # The branch resumes the service (four eyes in the console); then the customer follows.
    with db.transaction() as s:
        claim = s.get(Claim, int(claim_id.group(1)))
        compromise.resume(s, report_id=claim.compromise_report_id, actor="operator:x")  # type: ignore[union-attr, arg-type]
    api.cookies.set("kinko_session", _session(db, bank.actor.user_id))
    follow = api.get(f"/banking/claims/{claim_id.group(1)}")
    assert follow.status_code == 200 and "受付" in follow.text
    listing = api.get("/banking/claims?lang=en")
    assert listing.status_code == 200 and "Received" in listing.text
    assert api.get("/banking/claims/999999").status_code == 404


@pytest.mark.req("OPS-1")
@pytest.mark.req("OPS-2")
@pytest.mark.req("CLM-9")
def test_operator_pages_take_a_claim_to_payment(db: Database, bank: Bank, app: Any) -> None:
    from kinko.claims import service

    tx = transfer(db, bank, bank.thief, 200_000, "f1")
    clock.set_now(REPORT_DAY)
    claim_id = db.run(lambda s: service.report_fraud(
        s, user_id=bank.actor.user_id, channel="web", actor="user:1",
        report=service.Report(noticed_on=REPORT_DAY.date() - timedelta(days=1), stolen_on=None,
                              instruction_ids=(tx,))).id)
    before = balance(db, bank.account_id)
    with TestClient(app, headers=HTML) as maker, TestClient(app, headers=HTML) as checker:
        assert maker.get("/operator/claims", follow_redirects=False).status_code == 303
        m = sign_in_operator(maker, db, bank.maker)
        c = sign_in_operator(checker, db, bank.checker)
        queue = maker.get("/operator/claims")
        assert queue.status_code == 200 and f'id="claim-{claim_id}"' in queue.text
        case = f"/operator/claims/{claim_id}"
        assert maker.post(f"{case}/investigate", data={}).status_code == 403   # no CSRF
        assert maker.post(f"{case}/investigate", data={"csrf_token": m}).status_code == 200
        view = maker.get(case).text
        assert 'id="provisional"' in view and 'id="trail"' in view and "CLM-2" in view
        assert "ﾄｸﾒｲ ﾊﾝｻﾞｲ" in view   # the payee from Kinko's records
        no_note = maker.post(f"{case}/findings", data={
            "csrf_token": m, "prompt_notice": "on", "sufficient_explanation": "on",
            "police_report": "on", "software_updated": "on", "note": ""})
        assert no_note.status_code == 422 and 'role="alert"' in no_note.text
        recorded = maker.post(f"{case}/findings", data={
            "csrf_token": m, "prompt_notice": "on", "sufficient_explanation": "on",
            "police_report": "on", "software_updated": "on", "payees": [f"{tx}:"],
            "recovered_from_perpetrator": "0", "note": "本人確認のうえ電話で聴取"})
        assert recorded.status_code == 200 and 'id="provisional"' not in recorded.text
        asked = maker.post(f"{case}/decide", data={"csrf_token": m, "reason": "判定"})
        request_id = re.search(r'id="request-(\d+)"', asked.text)
        assert request_id
        own = maker.post(f"{case}/requests/{request_id.group(1)}/approve",
                         data={"csrf_token": m})
        assert own.status_code == 403   # four eyes: not the requester
        approved = checker.post(f"{case}/requests/{request_id.group(1)}/approve",
                                data={"csrf_token": c})
        assert approved.status_code == 200 and "200,110" in approved.text
        asked = maker.post(f"{case}/pay", data={"csrf_token": m, "reason": "支払"})
        request_id = re.search(r'id="request-(\d+)"', asked.text)
        assert request_id
        paid = checker.post(f"{case}/requests/{request_id.group(1)}/approve",
                            data={"csrf_token": c})
        assert paid.status_code == 200 and "お支払い済" in paid.text
        letter = maker.get(f"{case}/letter.pdf")
        assert letter.headers["content-type"] == "application/pdf"
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(letter.content)).pages)
        assert "補てん判定通知書" in text and "200,110円" in text and "CLM-3" in text
    assert balance(db, bank.account_id) == before + 200_110
    with db.transaction() as s:
        assert s.get(Claim, claim_id).state is ClaimState.PAID  # type: ignore[union-attr]


@pytest.mark.req("CLM-10")
def test_operator_enters_a_processing_error_and_bad_input_is_a_friendly_page(
        db: Database, bank: Bank, app: Any) -> None:
    tx = transfer(db, bank, bank.thief, 365_000, "f1")
    with TestClient(app, headers=HTML) as maker:
        m = sign_in_operator(maker, db, bank.maker)
        bad = maker.post("/operator/claims/processing-errors", data={
            "csrf_token": m, "instruction_id": "abc", "delay_days": "3", "explanation": "x"})
        assert bad.status_code == 422 and 'role="alert"' in bad.text
        bad_call = maker.post("/operator/claims", data={
            "csrf_token": m, "user_id": str(bank.actor.user_id), "transaction_ids": str(tx),
            "noticed_on": "2026-02-30"})
        assert bad_call.status_code == 422
        call = maker.post("/operator/claims", data={
            "csrf_token": m, "user_id": str(bank.actor.user_id), "transaction_ids": str(tx),
            "noticed_on": clock.today().isoformat(), "unavoidable_delay_days": "00"})
        assert call.status_code == 200 and 'id="claim-state"' in call.text   # taken by phone
        assert maker.get("/operator/claims/999999").status_code == 404
        done = maker.post("/operator/claims/processing-errors", data={
            "csrf_token": m, "instruction_id": str(tx), "delay_days": "10",
            "explanation": "当行の処理誤りで10日遅延"})
        assert done.status_code == 200 and "CLM-10" in done.text and "300円" in done.text
        claim_id = str(done.url).rsplit("/", 1)[1]
        # No letter before the decision.
        assert maker.get(f"/operator/claims/{claim_id}/letter.pdf").status_code == 409
