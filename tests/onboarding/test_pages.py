"""The operator console's onboarding pages, the mail room, the operator API, the Light sign-up
page and the customer's certificate page — over real HTTP through the app (PRD-1, PRD-3,
AUTH-7, CRED-4, CRED-5, LED-4, OPS-1). Bad input answers a clear error and changes nothing."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kinko.auth import sessions
from kinko.auth.models import AuthUser, CertificateState, ClientCertificate
from kinko.auth.users import rules_for_user
from kinko.backoffice.models import ApprovalRequest
from kinko.db import Database
from kinko.ledger.models import Account, AccountState
from kinko.onboarding import products
from kinko.onboarding.models import Shipment, ShipmentState
from kinko.parties.models import Customer
from kinko.web.auth import SESSION_COOKIE, csrf_token
from tests.onboarding.conftest import csrf_of, operator_login
from tests.onboarding.helpers import pdf_text, person

FORM: dict[str, str] = {
    "kind": "individual", "name": "鈴木 一郎", "name_kana": "スズキ イチロウ", "branch_code": "001",
    "postal_code": "150-0001", "address": "東京都渋谷区神宮前1-2-3", "phone": "090-1234-5678",
    "birth_date": "1979-06-15", "resident": "true", "email": ""}


def _customers(db: Database) -> int:
    return db.run(lambda s: s.execute(select(func.count()).select_from(Customer)).scalar_one())


@pytest.mark.req("OPS-1")
def test_no_operator_page_or_api_without_an_operator_session(web: TestClient,
                                                             db: Database) -> None:
    for path in ("/operator/customers", "/operator/mail", "/operator/customers/1"):
        assert web.get(path, follow_redirects=False).headers["location"] == "/operator/login"
    posted = web.post("/operator/customers", data=FORM, follow_redirects=False)
    assert posted.status_code == 303 and posted.headers["location"] == "/operator/login"
    api = web.post("/api/v1/operator/customers", json={}, headers={"Idempotency-Key": "k1"})
    assert api.status_code in (403, 422)
    denied = web.get("/api/v1/operator/customers")
    assert denied.status_code == 403 and denied.json()["code"] == "OPERATOR_SESSION_REQUIRED"
    assert _customers(db) == 0


@pytest.mark.req("PRD-1")
def test_an_operator_registers_a_customer_and_opens_an_account(web: TestClient,
                                                               db: Database) -> None:
    csrf = operator_login(web, "T001")
    bad = web.post("/operator/customers", data=FORM | {"csrf_token": csrf, "phone": "abc",
                                                       "birth_date": "1979-13-01"})
    assert bad.status_code == 422 and 'id="form-error"' in bad.text
    assert "鈴木 一郎" in bad.text          # the form keeps what was typed
    assert _customers(db) == 0
    forged = web.post("/operator/customers", data=FORM | {"csrf_token": "x" * 43})
    assert forged.status_code == 403 and _customers(db) == 0
    made = web.post("/operator/customers", data=FORM | {"csrf_token": csrf},
                    follow_redirects=False)
    assert made.status_code == 303
    page = web.get(made.headers["location"])
    assert "鈴木 一郎" in page.text and "ｽｽﾞｷ ｲﾁﾛｳ" in page.text
    cid = int(made.headers["location"].split("/")[3].split("?")[0])
    opened = web.post(f"/operator/customers/{cid}/accounts",
                      data={"csrf_token": csrf, "account_type": "ordinary"})
    assert "001-0000001" in opened.text
    wrong = web.post(f"/operator/customers/{cid}/accounts",
                     data={"csrf_token": csrf, "account_type": "internal"})
    assert wrong.status_code == 422
    assert db.run(lambda s: s.execute(select(func.count()).select_from(Account).where(
        Account.customer_id == cid)).scalar_one()) == 1
    found = web.get("/operator/customers?q=ｽｽﾞｷ")
    assert f"/operator/customers/{cid}" in found.text


@pytest.mark.req("AUTH-7")
@pytest.mark.req("CRED-5")
def test_enrol_retail_003_print_the_letter_send_it_and_record_it_returned(
        web: TestClient, db: Database) -> None:
    cid, _ = person(db)
    csrf = operator_login(web, "T001")
    enrolled = web.post(f"/operator/customers/{cid}/enrol",
                        data={"csrf_token": csrf, "product": "retail-003"})
    assert enrolled.status_code == 200 and "enrolled-retail-003" in enrolled.text
    unknown = web.post(f"/operator/customers/{cid}/enrol",
                       data={"csrf_token": csrf, "product": "retail-999"})
    assert unknown.status_code == 422
    queue = web.get("/operator/mail").text
    letter = db.run(lambda s: s.execute(select(Shipment).where(
        Shipment.customer_id == cid).order_by(Shipment.id)).scalars().first())
    assert f'id="shipment-{letter.id}"' in queue
    printed = web.post(f"/operator/mail/{letter.id}/print", data={"csrf_token": csrf})
    assert printed.headers["content-type"] == "application/pdf"
    assert letter.reference in pdf_text(printed.content)
    sent = web.post(f"/operator/mail/{letter.id}/sent", data={"csrf_token": csrf},
                    follow_redirects=False)
    assert sent.status_code == 303
    twice = web.post(f"/operator/mail/{letter.id}/sent", data={"csrf_token": csrf})
    assert twice.status_code == 409 and 'id="form-error"' in twice.text
    no_reason = web.post(f"/operator/mail/{letter.id}/returned",
                         data={"csrf_token": csrf, "reason": ""})
    assert no_reason.status_code == 422
    assert db.run(lambda s: s.get(Shipment, letter.id).state) is ShipmentState.SENT
    back = web.post(f"/operator/mail/{letter.id}/returned",
                    data={"csrf_token": csrf, "reason": "宛所不明"})
    assert back.status_code == 200 and 'id="termination-candidates"' in back.text
    assert f"/operator/customers/{cid}" in back.text.split('id="termination-candidates"')[1]
    missing = web.post("/operator/mail/999999/print", data={"csrf_token": csrf})
    assert missing.status_code == 404


@pytest.mark.req("LED-4")
@pytest.mark.req("OPS-1")
def test_account_states_from_the_customer_page_with_four_eyes(web: TestClient,
                                                              db: Database) -> None:
    cid, account = person(db, balance=1_000)
    csrf = operator_login(web, "T001")
    stopped = web.post(f"/operator/customers/{cid}/accounts/{account}/state",
                       data={"csrf_token": csrf, "state": "payment_stopped",
                             "reason": "通帳紛失の届出"})
    assert "state-payment_stopped" in stopped.text
    assert db.run(lambda s: s.get(Account, account).state) is AccountState.PAYMENT_STOPPED
    asked = web.post(f"/operator/customers/{cid}/accounts/{account}/state",
                     data={"csrf_token": csrf, "state": "active", "reason": "通帳発見"})
    request_id = int(re.search(r"requested-(\d+)", asked.text).group(1))  # type: ignore[union-attr]
    closing = web.post(f"/operator/customers/{cid}/accounts/{account}/state",
                       data={"csrf_token": csrf, "state": "closed", "reason": "解約"})
    assert closing.status_code == 409   # not from payment-stopped, and not with money in it
    _other, other_account = person(db)
    foreign = web.post(f"/operator/customers/{cid}/accounts/{other_account}/state",
                       data={"csrf_token": csrf, "state": "payment_stopped", "reason": "x"})
    assert foreign.status_code == 422
    assert db.run(lambda s: s.get(Account, other_account).state) is AccountState.ACTIVE
    # The maker cannot approve; a second operator does, in the console.
    own = web.post(f"/operator/requests/{request_id}/approve", data={"csrf_token": csrf})
    assert own.status_code == 403
    checker = operator_login(web, "S001")
    web.post(f"/operator/requests/{request_id}/approve", data={"csrf_token": checker})
    assert db.run(lambda s: s.get(Account, account).state) is AccountState.ACTIVE


def _api(web: TestClient, csrf: str, method: str, path: str, json: Any = None,
         key: bool = True) -> Any:
    headers = {"X-CSRF-Token": csrf}
    if key:
        headers["Idempotency-Key"] = uuid.uuid4().hex
    return web.request(method, f"/api/v1/operator{path}", json=json, headers=headers)


@pytest.mark.req("PRD-1")
@pytest.mark.req("AUTH-7")
@pytest.mark.req("LED-4")
def test_the_operator_api_onboards_prints_and_stops(web: TestClient, db: Database) -> None:
    csrf = operator_login(web, "T001")
    body = {k: v for k, v in FORM.items() if k not in ("resident", "email")}
    no_csrf = web.post("/api/v1/operator/customers", json=body,
                       headers={"Idempotency-Key": "a1"})
    assert no_csrf.status_code == 403
    bad = _api(web, csrf, "POST", "/customers", body | {"branch_code": "1"})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith(
        "application/problem+json")
    refused = _api(web, csrf, "POST", "/customers", body | {"postal_code": "1"})
    assert refused.status_code == 422 and refused.json()["code"] == "CUSTOMER_INPUT_INVALID"
    assert _customers(db) == 0
    headers = {"X-CSRF-Token": csrf, "Idempotency-Key": "same-key"}
    made = web.post("/api/v1/operator/customers", json=body, headers=headers)
    again = web.post("/api/v1/operator/customers", json=body, headers=headers)
    assert made.status_code == 201 and again.json()["id"] == made.json()["id"]
    assert again.json()["replayed"] is True and _customers(db) == 1
    cid = made.json()["id"]
    account = _api(web, csrf, "POST", f"/customers/{cid}/accounts",
                   {"account_type": "ordinary"}).json()["id"]
    enrolled = _api(web, csrf, "POST", f"/customers/{cid}/enrolments",
                    {"product": "retail-003"}).json()
    assert enrolled["login_id"].startswith("U") and len(enrolled["shipments"]) == 2
    assert "password" not in str(enrolled).lower()
    letter = enrolled["shipments"][0]
    pdf = _api(web, csrf, "POST", f"/mail/{letter}/print", key=False)
    assert pdf.headers["content-type"] == "application/pdf"
    assert enrolled["login_id"] in pdf_text(pdf.content)
    shown = _api(web, csrf, "GET", f"/customers/{cid}", key=False).json()
    assert shown["mail"][0]["state"] == "printed"
    stop = _api(web, csrf, "POST", f"/accounts/{account}/state",
                {"state": "payment_stopped", "reason": "紛失"}, key=False)
    assert stop.status_code == 200 and stop.json()["state"] == "payment_stopped"
    seize = _api(web, csrf, "POST", f"/accounts/{account}/state",
                 {"state": "seized", "reason": "差押命令"}, key=False)
    assert seize.status_code == 202
    assert db.run(lambda s: s.get(ApprovalRequest, seize.json()["request_id"])) is not None
    assert db.run(lambda s: s.get(Account, account).state) is AccountState.PAYMENT_STOPPED
    restrict = _api(web, csrf, "POST", f"/contracts/{enrolled['contract_id']}/restriction",
                    {"reason": "aml_concern", "note": "取引モニタリングの検知"}, key=False)
    assert restrict.status_code == 200
    unknown = _api(web, csrf, "POST", f"/contracts/{enrolled['contract_id']}/restriction",
                   {"reason": "whim", "note": "x"}, key=False)
    assert unknown.status_code == 422


@pytest.mark.req("AUTH-7")
def test_light_signup_page_with_the_passbook_digits(web: TestClient, db: Database) -> None:
    _, account = person(db, corporate=True, balance=88_123)
    number = db.run(lambda s: s.get(Account, account).number)
    page = web.get("/signup/light")
    form = {"csrf_token": csrf_of(page.text), "branch_code": "001", "account_number": number,
            "proof": "passbook", "login_id": "kinkoshoji", "login_password": "Light1Pass",
            "confirmation_password": "Kakunin2Pass"}
    wrong = web.post("/signup/light", data=form | {"secret": "0000"})
    assert wrong.status_code == 401 and 'id="form-error"' in wrong.text
    short = web.post("/signup/light", data=form | {"secret": "12"})
    assert short.status_code == 422
    done = web.post("/signup/light", data=form | {"secret": "8123"}, follow_redirects=False)
    assert done.status_code == 303 and "signed_up" in done.headers["location"]
    assert "お申込みを受け付けました" in web.get(done.headers["location"]).text
    assert db.run(lambda s: s.execute(select(AuthUser.login_id)).scalar_one()) == "kinkoshoji"


def _csr(common_name: str) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
           .sign(key, hashes.SHA256()))
    return csr.public_bytes(serialization.Encoding.PEM).decode()


@pytest.mark.req("CRED-4")
def test_the_customer_issues_and_revokes_a_certificate_and_the_operator_sees_it(
        web: TestClient, db: Database) -> None:
    company, account = person(db, corporate=True)
    enrolled = db.run(lambda s: products.open_corporate_contract(
        s, customer_id=company, course="comprehensive", representative_account_id=account,
        usage_account_ids=[], temporary_login_password="Kari3Login",
        temporary_confirmation_password="Kari5Kakunin", token_kind="hard",
        certificate_login=True, actor="op"))

    def start(s: Session) -> str:
        user = s.get(AuthUser, enrolled.user_id)
        return sessions.start(s, user, rules_for_user(s, user))[0]
    token = db.run(start)
    web.cookies.set(SESSION_COOKIE, token)
    csrf = csrf_token(token)
    garbage = web.post("/security/certificates", data={"csrf_token": csrf, "csr": "nonsense"})
    assert garbage.status_code == 422
    issued = web.post("/security/certificates", data={"csrf_token": csrf,
                                                      "csr": _csr("kinko")})
    assert issued.status_code == 200 and "BEGIN CERTIFICATE" in issued.text
    cert = db.run(lambda s: s.execute(select(ClientCertificate)).scalar_one())
    early = web.post(f"/security/certificates/{cert.id}/renew",
                     data={"csrf_token": csrf, "csr": _csr("kinko")})
    assert early.status_code == 422            # renewal opens shortly before expiry
    operator_csrf = operator_login(web, "S001")
    page = web.get(f"/operator/customers/{company}")
    assert cert.serial in page.text
    web.cookies.set(SESSION_COOKIE, token)
    revoked = web.post(f"/security/certificates/{cert.id}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 200
    assert db.run(lambda s: s.get(ClientCertificate, cert.id).state) is \
        CertificateState.REVOKED
    assert operator_csrf


@pytest.mark.req("PRD-3")
@pytest.mark.req("PRD-5")
@pytest.mark.req("CRED-5")
def test_the_operator_api_corporate_contract_residency_and_returned_mail(
        web: TestClient, db: Database) -> None:
    company, account = person(db, corporate=True, balance=10_000)
    _, stranger = person(db)
    csrf = operator_login(web, "T001")
    contract = {"course": "basic", "representative_account_id": account,
                "usage_account_ids": [stranger], "temporary_login_password": "Kari3Login",
                "temporary_confirmation_password": "Kari5Kakunin", "token_kind": "hard"}
    refused = _api(web, csrf, "POST", f"/customers/{company}/corporate-contracts", contract)
    assert refused.status_code == 422 and refused.json()["code"] == "ONBOARDING_REFUSED"
    extra = _api(web, csrf, "POST", f"/customers/{company}/corporate-contracts",
                 contract | {"course": "light"})
    assert extra.status_code == 422                       # Light signs up online
    made = _api(web, csrf, "POST", f"/customers/{company}/corporate-contracts",
                contract | {"usage_account_ids": []})
    assert made.status_code == 201 and len(made.json()["shipments"]) == 1
    shown = _api(web, csrf, "GET", f"/customers/{company}", key=False).json()
    assert shown["contracts"][0]["usage_accounts"] == [{"account_id": account,
                                                        "representative": True}]
    future = _api(web, csrf, "POST", f"/customers/{company}/residency",
                  {"resident": False, "effective": "2027-01-01"}, key=False)
    assert future.status_code == 422 and future.json()["code"] == "RESIDENCY_CHANGE_INVALID"
    moved = _api(web, csrf, "POST", f"/customers/{company}/residency",
                 {"resident": False, "effective": "2026-11-01"}, key=False)
    assert moved.status_code == 200 and moved.json()["resident"] is False
    parcel = made.json()["shipments"][0]
    early = _api(web, csrf, "POST", f"/mail/{parcel}/returned", {"reason": "不在"}, key=False)
    assert early.status_code == 409                       # it was never sent
    _api(web, csrf, "POST", f"/mail/{parcel}/print", key=False)
    assert _api(web, csrf, "POST", f"/mail/{parcel}/sent", key=False).json()["state"] == "sent"
    back = _api(web, csrf, "POST", f"/mail/{parcel}/returned", {"reason": "転居"}, key=False)
    assert back.status_code == 200 and back.json()["reissue"]["replaces_id"] == parcel
    queue = _api(web, csrf, "GET", "/mail?state=queued", key=False).json()["shipments"]
    assert [m["id"] for m in queue] == [back.json()["reissue"]["id"]]
    assert _api(web, csrf, "GET", "/mail?state=lost", key=False).status_code == 422


@pytest.mark.req("PRD-1")
@pytest.mark.req("PRD-3")
def test_customer_page_forms_refuse_bad_input_with_the_page(web: TestClient,
                                                           db: Database) -> None:
    company, account = person(db, corporate=True)
    csrf = operator_login(web, "T001")
    missing = web.get("/operator/customers/999999", headers={"Accept": "text/html"})
    assert missing.status_code == 404 and missing.headers["content-type"].startswith(
        "text/html")
    for path, data in [
        ("corporate", {"course": "basic", "representative_account_id": "abc"}),
        ("corporate", {"course": "basic", "representative_account_id": str(account),
                       "tokens_lent": "99", "temporary_login_password": "Kari3Login",
                       "temporary_confirmation_password": "Kari5Kakunin"}),
        ("corporate", {"course": "basic", "representative_account_id": str(account),
                       "temporary_login_password": "Same1Pass",
                       "temporary_confirmation_password": "Same1Pass",
                       "token_kind": "hard"}),
        ("residency", {"resident": "maybe", "effective": "2026-11-01"}),
        ("residency", {"resident": "false", "effective": "someday"}),
        ("enrol", {"product": "retail-001", "password": "short"}),
        (f"contracts/{account}/restrict", {"reason": "aml_concern", "note": "x"}),
    ]:
        answer = web.post(f"/operator/customers/{company}/{path}",
                          data={"csrf_token": csrf, **data})
        assert 400 <= answer.status_code < 500, (path, answer.status_code)
        assert 'id="form-error"' in answer.text, path
    shown = web.get(f"/api/v1/operator/customers/{company}").json()
    assert shown["contracts"] == [] and shown["users"] == [] and shown["resident"] is True


@pytest.mark.req("SUSP-1")
@pytest.mark.req("LED-4")
def test_the_customer_sees_why_a_stopped_account_refuses_and_it_resumes_when_released(
        web: TestClient, db: Database) -> None:
    from kinko.config import get_settings

    cid, account = person(db, balance=50_000)
    _, payee = person(db)
    enrolled = db.run(lambda s: products.enrol_retail_003(s, customer_id=cid, actor="op"))

    def start(s: Session) -> str:
        user = s.get(AuthUser, enrolled.user_id)
        user.must_change_password = user.must_change_login_id = False
        return sessions.start(s, user, rules_for_user(s, user))[0]
    token = db.run(start)
    number = db.run(lambda s: s.get(Account, payee).number)
    transfer = {"from_account_id": account, "amount": 1000,
                "bank_code": get_settings().bank_code, "branch_code": "001",
                "number": number}

    def enter() -> Any:
        return web.post("/api/v1/transfers", json=transfer, headers={
            "Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex})

    assert enter().status_code == 201
    csrf = operator_login(web, "T001")
    web.post(f"/operator/customers/{cid}/accounts/{account}/state",
             data={"csrf_token": csrf, "state": "payment_stopped", "reason": "カード紛失"})
    refused = enter()
    assert refused.status_code == 409 and refused.json()["code"] == "ACCOUNT_NOT_USABLE"
    assert "payment_stopped" in refused.json()["detail"]
    web.cookies.clear()
    web.cookies.set(SESSION_COOKIE, token)
    home = web.get("/banking")
    assert "支払停止中" in home.text and "お取引店にお問い合わせください" in home.text
    asked = operator_login(web, "T001")
    answer = web.post(f"/operator/customers/{cid}/accounts/{account}/state",
                      data={"csrf_token": asked, "state": "active", "reason": "カード発見"})
    request_id = int(re.search(r"requested-(\d+)", answer.text).group(1))  # type: ignore[union-attr]
    checker = operator_login(web, "S001")
    web.post(f"/operator/requests/{request_id}/approve", data={"csrf_token": checker})
    assert enter().status_code == 201                        # usable again at once
    web.cookies.clear()
    web.cookies.set(SESSION_COOKIE, token)
    assert "支払停止中" not in web.get("/banking").text


@pytest.mark.req("AUTH-7")
@pytest.mark.req("CRED-2")
def test_retail_001_token_kind_switch_and_soft_token_deregistration_from_the_page(
        web: TestClient, db: Database) -> None:
    from kinko.auth.models import AuthContract, TokenKind

    cid, _ = person(db)
    csrf = operator_login(web, "T001")
    weak = web.post(f"/operator/customers/{cid}/enrol",
                    data={"csrf_token": csrf, "product": "retail-001", "password": "password"})
    assert weak.status_code == 422 and 'id="form-error"' in weak.text
    enrolled = web.post(f"/operator/customers/{cid}/enrol",
                        data={"csrf_token": csrf, "product": "retail-001",
                              "password": "Todoke5Pass"})
    member = re.search(r'id="member-number">[^:]+: (\d{10})', enrolled.text)
    assert member, enrolled.text[:2000]
    assert "confirmation_card" in web.get("/operator/mail").text
    company, account = person(db, corporate=True)
    made = db.run(lambda s: products.open_corporate_contract(
        s, customer_id=company, course="basic", representative_account_id=account,
        usage_account_ids=[], temporary_login_password="Kari3Login",
        temporary_confirmation_password="Kari5Kakunin", token_kind="soft", actor="op"))
    nothing = web.post(f"/operator/customers/{company}/users/{made.user_id}/soft-token/"
                       "deregister", data={"csrf_token": csrf})
    assert nothing.status_code == 409 and 'id="form-error"' in nothing.text
    bad = web.post(f"/operator/customers/{company}/contracts/{made.contract_id}/token-kind",
                   data={"csrf_token": csrf, "to": "paper"})
    assert bad.status_code == 422
    switched = web.post(f"/operator/customers/{company}/contracts/{made.contract_id}/"
                        "token-kind", data={"csrf_token": csrf, "to": "hard"},
                        follow_redirects=False)
    assert switched.status_code == 303
    assert db.run(lambda s: s.get(AuthContract, made.contract_id).token_kind) is TokenKind.HARD
