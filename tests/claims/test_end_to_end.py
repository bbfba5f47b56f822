"""End to end over HTTP: a fraudulent transfer made with stolen credentials → the customer's
report → evidence from Kinko's records → four-eyes decision → four-eyes payment → the books
balance and the audit chain verifies (CLM-1..9, CRED-6, OPS-1)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kinko import clock
from kinko.audit.models import AuditEvent
from kinko.audit.service import seal_all, verify
from kinko.backoffice import operators
from kinko.backoffice.models import OperatorRole
from kinko.claims.models import Claim, ClaimState
from kinko.config import Settings
from kinko.db import Database
from kinko.ledger.models import Account
from kinko.ledger.service import check_books
from kinko.web.app import create_app
from tests import factories
from tests.claims.conftest import sign_in_operator
from tests.e2e.support import T0, Codes, build_demo, sato_code

JSON = {"Accept": "application/json"}
HTML = {"Accept": "text/html"}
NEW_ID, NEW_PASSWORD = "hanako01", "Sakura8Hana"


def _login(client: TestClient, codes: Codes, login_id: str, password: str) -> str:
    issued = client.post("/api/v1/auth/confirmation-code").json()
    done = client.post("/api/v1/auth/login/retail-003", json={
        "user_id": login_id, "password": password, "otp_code": sato_code(),
        "challenge_id": issued["challenge_id"],
        "confirmation_code": codes.by_challenge[issued["challenge_id"]]}).json()
    return str(done["session_token"])


def _balance(client: TestClient, token: str) -> int:
    accounts = client.get("/api/v1/accounts",
                          headers={"Authorization": f"Bearer {token}"}).json()["accounts"]
    return int(accounts[0]["balance"])


@pytest.mark.req("CLM-1")
@pytest.mark.req("CLM-9")
@pytest.mark.req("CRED-6")
@pytest.mark.req("OPS-1")
def test_stolen_credentials_to_compensation(db: Database,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    codes = Codes().install(monkeypatch)
    clock.set_now(T0)
    build_demo(db)

    def setup(s):  # type: ignore[no-untyped-def]
        thief = s.get(Account, factories.account(s, branch_code="003", holder="ﾄｸﾒｲ ﾊﾝｻﾞｲ"))
        maker = operators.create_operator(s, code="K901", name="補償 一郎",
                                          roles=[OperatorRole.CLAIMS], actor="system")
        checker = operators.create_operator(s, code="K902", name="補償 二郎",
                                            roles=[OperatorRole.CLAIMS], actor="system")
        return (thief.branch_code, thief.number), maker.id, checker.id
    thief_account, maker_id, checker_id = db.run(setup)
    app = create_app(db, Settings())

    with TestClient(app, headers=JSON) as customer:
        # The customer's first login: their own user ID and password (AUTH-7).
        issued = customer.post("/api/v1/auth/confirmation-code").json()
        from tests.web.test_auth_api import du
        first = customer.post("/api/v1/auth/login/retail-003", json={
            "user_id": du.SATO_USER_ID, "password": du.SATO_PASSWORD, "otp_code": sato_code(),
            "challenge_id": issued["challenge_id"],
            "confirmation_code": codes.by_challenge[issued["challenge_id"]]}).json()
        done = customer.post("/api/v1/auth/change-credentials",
                             headers={"Authorization": f"Bearer {first['session_token']}"},
                             json={"current_password": du.SATO_PASSWORD,
                                   "new_login_id": NEW_ID, "new_password": NEW_PASSWORD})
        assert done.status_code == 200, done.text
        start_balance = _balance(customer, done.json()["session_token"])

    # Someone else, with the stolen password and token codes, from another device.
    clock.advance(timedelta(hours=2))   # 12:00, before the same-day cutoff
    with TestClient(app, headers=JSON) as thief:
        thief.headers["User-Agent"] = "thief-browser/1.0"
        token = _login(thief, codes, NEW_ID, NEW_PASSWORD)
        auth = {"Authorization": f"Bearer {token}"}
        account_id = thief.get("/api/v1/accounts", headers=auth).json()["accounts"][0]["account_id"]
        quote = thief.post("/api/v1/transfers", headers=auth | {
            "Idempotency-Key": uuid.uuid4().hex}, json={
            "from_account_id": account_id, "amount": 100_000, "bank_code": "0999",
            "branch_code": thief_account[0], "account_type": "ordinary",
            "number": thief_account[1]}).json()
        clock.advance(timedelta(seconds=31))   # a fresh OTP step
        confirmed = thief.post(f"/api/v1/transfers/{quote['id']}/confirm", headers=auth | {
            "Idempotency-Key": uuid.uuid4().hex}, json={"otp_code": sato_code()})
        assert confirmed.status_code == 200, confirmed.text
        fee = quote["fee"]

    # The next day the customer notices and reports; the service stops at once.
    clock.advance(timedelta(days=1))
    with TestClient(app, headers=JSON) as customer:
        token = _login(customer, codes, NEW_ID, NEW_PASSWORD)
        auth = {"Authorization": f"Bearer {token}"}
        assert _balance(customer, token) == start_balance - 100_000 - fee
        picked = [t["id"] for t in customer.get("/api/v1/claims/transactions",
                                                headers=auth).json()["transactions"]
                  if t["amount"] == 100_000]
        reported = customer.post("/api/v1/claims", headers=auth, json={
            "noticed_on": clock.today().isoformat(), "stolen_on": None,
            "transaction_ids": picked, "police_report_ref": "警視庁 第2026-77号",
            "explanation": "身に覚えのない振込がありました"})
        assert reported.status_code == 201, reported.text
        claim_id = reported.json()["claim"]["id"]
        assert customer.get("/api/v1/accounts", headers=auth).status_code == 401

    # Two CLAIMS operators: evidence, findings, decision, payment — four eyes each time.
    with TestClient(app, headers=HTML) as maker, TestClient(app, headers=HTML) as checker:
        m = sign_in_operator(maker, db, maker_id)
        c = sign_in_operator(checker, db, checker_id)
        case = f"/operator/claims/{claim_id}"
        maker.post(f"{case}/investigate", data={"csrf_token": m})
        evidence = maker.get(case).text
        assert "thief-browser/1.0" in evidence          # the thief's login, from the records
        assert "ﾄｸﾒｲ ﾊﾝｻﾞｲ" in evidence and "third_party" in evidence
        maker.post(f"{case}/findings", data={
            "csrf_token": m, "prompt_notice": "on", "sufficient_explanation": "on",
            "police_report": "on", "software_updated": "on",
            "note": "被害届の受理番号を警察に確認、説明に矛盾なし"})
        asked = maker.post(f"{case}/decide", data={"csrf_token": m, "reason": "全額補てん"})
        rid = re.search(r'id="request-(\d+)"', asked.text)
        assert rid
        checker.post(f"{case}/requests/{rid.group(1)}/approve", data={"csrf_token": c})
        asked = maker.post(f"{case}/pay", data={"csrf_token": m, "reason": "支払"})
        rid = re.search(r'id="request-(\d+)"', asked.text)
        assert rid
        paid = checker.post(f"{case}/requests/{rid.group(1)}/approve", data={"csrf_token": c})
        assert paid.status_code == 200 and 'id="approved-decision"' in paid.text

    with db.transaction() as s:
        claim = s.get(Claim, claim_id)
        assert claim is not None and claim.state is ClaimState.PAID
        assert (claim.outcome, claim.compensation) == ("full", 100_000 + fee)
        account = s.get(Account, claim.credit_account_id)
        assert account is not None and account.balance == start_balance
        assert check_books(s).ok
        actions = set(s.execute(select(AuditEvent.action)).scalars())
        assert {"auth.compromise_reported", "claims.received", "claims.findings_recorded",
                "claims.decided", "claims.paid", "claims.rights_lapsed",
                "claims.subrogated", "backoffice.approval_executed"} <= actions
    db.run(seal_all)
    with db.transaction() as s:
        report = verify(s)
        assert report.ok, report.problems
