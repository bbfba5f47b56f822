"""The authentication JSON API over HTTP, and the security properties of the whole app:
lockout at exactly N under parallel guesses, OTP replay, no cross-customer access on any
route with a path parameter. Login timing: test_login_timing.py; throttling: test_throttle.py."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from kinko import clock
from kinko.audit.models import AuditEvent
from kinko.auth import certificates, enrolment, sessions
from kinko.auth.crypto import CHEAP_FOR_TESTS, SecretHasher, use_hasher
from kinko.auth.models import AuthUser, Course, Product, TokenKind, UserState
from kinko.auth.policy import overridden, rules_for
from kinko.backoffice import approvals
from kinko.backoffice.models import ApprovalRequest, ApprovalState
from kinko.config import Settings
from kinko.db import Database
from kinko.instructions.models import Instruction
from kinko.instructions.service import Actor
from kinko.ledger.models import Account
from kinko.transfers import service as transfers
from kinko.web import demo_users as du
from kinko.web.app import create_app
from kinko.web.auth import SESSION_COOKIE, csrf_token
from tests import factories
from tests.e2e.support import (
    T0,
    Codes,
    Demo,
    all_routes,
    build_demo,
    running,
    sato_code,
)

JSON = {"Accept": "application/json"}


@pytest.fixture(autouse=True)
def cheap_hasher() -> Iterator[None]:
    with use_hasher(SecretHasher(CHEAP_FOR_TESTS)):
        yield


@pytest.fixture
def demo(db: Database) -> Demo:
    clock.set_now(T0)
    return build_demo(db)


@pytest.fixture
def codes(monkeypatch: pytest.MonkeyPatch) -> Codes:
    return Codes().install(monkeypatch)


@pytest.fixture
def api(db: Database, demo: Demo) -> Iterator[TestClient]:
    with TestClient(create_app(db, Settings()), headers=JSON) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def yamada_login(api: TestClient, password: str = du.YAMADA_PASSWORD) -> httpx.Response:
    return api.post("/api/v1/auth/login/retail-001",
                    json={"member_number": du.YAMADA_MEMBER_NUMBER, "password": password})


def code(api: TestClient, codes: Codes) -> tuple[str, str]:
    issued = api.post("/api/v1/auth/confirmation-code").json()
    assert issued["image"].startswith("data:image/png;base64,")
    return issued["challenge_id"], codes.by_challenge[issued["challenge_id"]]


def sato_login(api: TestClient, codes: Codes, user_id: str = du.SATO_USER_ID,
               password: str = du.SATO_PASSWORD, otp: str | None = None) -> httpx.Response:
    challenge_id, text = code(api, codes)
    return api.post("/api/v1/auth/login/retail-003", json={
        "user_id": user_id, "password": password, "otp_code": otp or sato_code(),
        "challenge_id": challenge_id, "confirmation_code": text})


def is_problem(response: httpx.Response, status: int, code_: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code_


# --- OpenAPI ------------------------------------------------------------------------------


@pytest.mark.req("UI-2")
def test_openapi_documents_the_auth_api_with_examples(api: TestClient) -> None:
    spec = api.get("/openapi.json").json()
    paths = spec["paths"]
    for path in ("/api/v1/auth/login/retail-001", "/api/v1/auth/login/retail-003",
                 "/api/v1/auth/login/corporate", "/api/v1/auth/login/corporate-certificate",
                 "/api/v1/auth/second-step", "/api/v1/auth/change-credentials",
                 "/api/v1/auth/logout", "/api/v1/auth/sessions",
                 "/api/v1/auth/sessions/end-others", "/api/v1/auth/token/hard",
                 "/api/v1/auth/token/soft", "/api/v1/auth/compromise",
                 "/api/v1/auth/confirmation-code", "/api/v1/auth/password"):
        assert path in paths, path
    login = paths["/api/v1/auth/login/retail-003"]["post"]
    assert {"401", "403", "423"} <= set(login["responses"])
    assert "application/problem+json" in login["responses"]["423"]["content"]
    schemas = spec["components"]["schemas"]
    assert schemas["LoginOut"]["examples"] and schemas["Retail003In"]["examples"]
    assert schemas["Problem"]["examples"][0]["code"] == "AUTH_INVALID_CREDENTIALS"
    assert not any(p.startswith(("/login", "/security", "/operator")) for p in paths)


# --- login per product ---------------------------------------------------------------------


@pytest.mark.req("AUTH-13")
def test_retail_001_login_returns_the_previous_login(api: TestClient) -> None:
    first = yamada_login(api).json()
    assert first["status"] == "logged_in" and first["previous_login_at"] is None
    assert first["csrf_token"] == csrf_token(first["session_token"])
    clock.advance(timedelta(hours=1))
    second = yamada_login(api).json()
    assert second["previous_login_at"].startswith("2026-11-20T10:00")
    assert second["previous_login_place"] == "testclient"
    me = api.get("/api/v1/me", headers=bearer(second["session_token"]))
    assert me.status_code == 200


@pytest.mark.req("AUTH-7")
@pytest.mark.req("AUTH-1")
def test_retail_003_login_and_forced_change_over_the_api(api: TestClient,
                                                        codes: Codes) -> None:
    forced = sato_login(api, codes).json()
    assert forced["status"] == "change_required"
    assert forced["change"] == ["login_id", "login_password"]
    limited = bearer(forced["session_token"])
    is_problem(api.get("/api/v1/accounts", headers=limited), 403, "AUTH_SCOPE_NOT_ALLOWED")
    missing = api.post("/api/v1/auth/change-credentials", headers=limited,
                       json={"current_password": du.SATO_PASSWORD,
                             "new_password": "Sakura8Hana"})
    is_problem(missing, 422, "VALIDATION_FAILED")
    done = api.post("/api/v1/auth/change-credentials", headers=limited, json={
        "current_password": du.SATO_PASSWORD, "new_login_id": "hanako01",
        "new_password": "Sakura8Hana"}).json()
    assert done["status"] == "logged_in"
    assert api.get("/api/v1/accounts", headers=bearer(done["session_token"])
                   ).status_code == 200
    # The limited token died with the change.
    is_problem(api.post("/api/v1/auth/change-credentials", headers=limited, json={
        "current_password": "Sakura8Hana"}), 401, "AUTH_SESSION_EXPIRED")


@pytest.mark.req("AUTH-1")
def test_corporate_login_with_second_step_over_the_api(api: TestClient) -> None:
    step = api.post("/api/v1/auth/login/corporate",
                    json={"login_id": du.SHOJI_LOGIN_ID, "password": du.SHOJI_PASSWORD}).json()
    assert step["status"] == "second_factor_required" and step["factors"] == ["secret_phrase"]
    # A limited token is accepted from the Authorization header only, never from a cookie.
    api.cookies.set(SESSION_COOKIE, step["session_token"])
    is_problem(api.post("/api/v1/auth/second-step", json={"secret_phrase": du.SHOJI_PHRASE}),
               401, "AUTH_SESSION_EXPIRED")
    api.cookies.clear()
    done = api.post("/api/v1/auth/second-step", headers=bearer(step["session_token"]),
                    json={"secret_phrase": du.SHOJI_PHRASE}).json()
    assert done["status"] == "logged_in"


@pytest.mark.req("AUTH-5")
def test_otp_replay_is_refused_over_the_api(api: TestClient, codes: Codes) -> None:
    forced = sato_login(api, codes).json()
    api.post("/api/v1/auth/change-credentials", headers=bearer(forced["session_token"]),
             json={"current_password": du.SATO_PASSWORD, "new_login_id": "hanako01",
                   "new_password": "Sakura8Hana"})
    clock.advance(timedelta(seconds=31))
    otp = sato_code()
    assert sato_login(api, codes, "hanako01", "Sakura8Hana", otp).json()["status"] == \
        "logged_in"
    is_problem(sato_login(api, codes, "hanako01", "Sakura8Hana", otp), 401,
               "AUTH_INVALID_CREDENTIALS")


@pytest.mark.req("AUTH-10")
def test_unknown_user_and_wrong_password_read_the_same(api: TestClient) -> None:
    wrong = yamada_login(api, "Wrong1Pass")
    unknown = api.post("/api/v1/auth/login/retail-001",
                       json={"member_number": "99999999", "password": "Wrong1Pass"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


@pytest.mark.req("AUTH-11")
def test_certificate_login_uses_the_certificate_the_tls_server_verified(
        db: Database, demo: Demo) -> None:
    with db.transaction() as s:
        c = factories.customer(s, name="株式会社証明", name_kana="ｶ)ｼﾖｳﾒｲ")
        account_id = factories.account(s, balance=10_000, holder="ｶ)ｼﾖｳﾒｲ")
        account = s.get(Account, account_id)
        assert account is not None
        account.customer_id = c.id
        s.flush()
        master = enrolment.enrol_corporate(
            s, customer_id=c.id, course=Course.BASIC, representative_account_id=account_id,
            temporary_login_password="Kari3Login", temporary_confirmation_password="Kari5Kaku",
            token_kind=TokenKind.HARD, certificate_login=True, actor="test")
        key = ec.generate_private_key(ec.SECP256R1())
        csr = (x509.CertificateSigningRequestBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pc")]))
               .sign(key, hashes.SHA256()))
        pem = certificates.issue(s, user_id=master.id, actor="test", csr_pem=csr.public_bytes(
            serialization.Encoding.PEM).decode()).certificate_pem
    app = create_app(db, Settings())

    async def tls_terminated(scope: dict[str, Any], receive: Any, send: Any) -> None:
        # What a TLS server puts in the ASGI scope after a handshake with a client
        # certificate (the ASGI TLS extension).
        scope = {**scope, "extensions": {**scope.get("extensions", {}),
                                         "tls": {"client_cert_chain": [pem]}}}
        await app(scope, receive, send)

    with TestClient(app, headers=JSON) as plain:
        is_problem(plain.post("/api/v1/auth/login/corporate-certificate",
                              json={"password": "Kari3Login"}), 401,
                   "AUTH_CERTIFICATE_REJECTED")
    with TestClient(tls_terminated, headers=JSON) as client:  # type: ignore[arg-type]
        done = client.post("/api/v1/auth/login/corporate-certificate",
                           json={"password": "Kari3Login"})
        assert done.json()["status"] == "change_required", done.text
        phone = client.post("/api/v1/auth/login/corporate-certificate",
                            json={"password": "Kari3Login"},
                            headers={"User-Agent": "Mozilla/5.0 (iPhone) Mobile/15E148"})
        is_problem(phone, 409, "AUTH_FACTOR_NOT_AVAILABLE")    # PC only (AUTH-11)
    # Behind a TLS-terminating proxy: the forwarded certificate counts only from a trusted
    # proxy address; from anyone else the header is ignored.
    from urllib.parse import quote

    forwarded = {"X-SSL-Client-Cert": quote(pem)}
    with TestClient(app, headers=JSON) as untrusted:
        is_problem(untrusted.post("/api/v1/auth/login/corporate-certificate",
                                  json={"password": "Kari3Login"}, headers=forwarded), 401,
                   "AUTH_CERTIFICATE_REJECTED")
    proxied_app = create_app(db, Settings(trusted_proxies=("testclient",)))
    with TestClient(proxied_app, headers=JSON) as proxied:
        done = proxied.post("/api/v1/auth/login/corporate-certificate",
                            json={"password": "Kari3Login"}, headers=forwarded)
        assert done.json()["status"] == "change_required", done.text


# --- the logged-in customer ---------------------------------------------------------------


def test_sessions_logout_and_end_others(api: TestClient) -> None:
    one = yamada_login(api).json()["session_token"]
    two = yamada_login(api).json()["session_token"]
    listed = api.get("/api/v1/auth/sessions", headers=bearer(one)).json()
    assert len(listed) == 2 and sum(s["current"] for s in listed) == 1
    assert api.post("/api/v1/auth/sessions/end-others", headers=bearer(one)
                    ).json() == {"ended": 1}
    is_problem(api.get("/api/v1/auth/sessions", headers=bearer(two)), 401,
               "AUTH_SESSION_EXPIRED")
    assert api.post("/api/v1/auth/logout", headers=bearer(one)).status_code == 204
    is_problem(api.get("/api/v1/me", headers=bearer(one)), 401, "AUTH_SESSION_EXPIRED")
    # A cookie-borne logout needs the CSRF token, like any unsafe cookie request.
    three = yamada_login(api).json()["session_token"]
    api.cookies.set(SESSION_COOKIE, three)
    is_problem(api.post("/api/v1/auth/logout"), 403, "CSRF_REFUSED")
    assert api.post("/api/v1/auth/logout",
                    headers={"X-CSRF-Token": csrf_token(three)}).status_code == 204


@pytest.mark.req("AUTH-8")
@pytest.mark.req("AUTH-9")
def test_password_change_over_the_api(api: TestClient) -> None:
    token = bearer(yamada_login(api).json()["session_token"])
    is_problem(api.post("/api/v1/auth/password", headers=token,
                        json={"current": "Wrong1Pass", "new": "Taro8Shinki"}),
               422, "AUTH_OLD_PASSWORD_MISMATCH")
    weak = api.post("/api/v1/auth/password", headers=token,
                    json={"current": du.YAMADA_PASSWORD, "new": "09012345678a"})
    is_problem(weak, 422, "AUTH_PASSWORD_REJECTED")
    assert "phone_number" in weak.json()["reasons"]
    assert api.post("/api/v1/auth/password", headers=token,
                    json={"current": du.YAMADA_PASSWORD, "new": "Taro8Shinki"}
                    ).status_code == 204
    assert yamada_login(api, "Taro8Shinki").json()["status"] == "logged_in"


@pytest.mark.req("CRED-2")
@pytest.mark.req("CRED-3")
def test_token_endpoints(api: TestClient, db: Database) -> None:
    import pyotp

    with db.transaction() as s:
        c = factories.customer(s, name="株式会社ソフト", name_kana="ｶ)ｿﾌﾄ")
        account_id = factories.account(s, balance=10_000, holder="ｶ)ｿﾌﾄ")
        account = s.get(Account, account_id)
        assert account is not None
        account.customer_id = c.id
        s.flush()
        master = enrolment.enrol_corporate(
            s, customer_id=c.id, course=Course.BASIC, representative_account_id=account_id,
            temporary_login_password="Kari3Login", temporary_confirmation_password="Kari5Kaku",
            token_kind=TokenKind.SOFT, actor="test")
        token, _ = sessions.start(s, master, rules_for(Product.CORPORATE_002, Course.BASIC))
    headers = bearer(token)
    assert api.get("/api/v1/auth/token", headers=headers).json() == {
        "contract_token_kind": "soft", "active": False, "serial": None, "kind": None,
        "expires_on": None}
    is_problem(api.post("/api/v1/auth/token/hard", headers=headers,
                        json={"serial": "nope", "code": "123456"}), 409, "AUTH_TOKEN_STATE")
    started = api.post("/api/v1/auth/token/soft", headers=headers, json={"device_label": "x"})
    assert started.status_code == 201
    uri = started.json()["provisioning_uri"]
    totp = pyotp.parse_uri(uri)
    assert isinstance(totp, pyotp.TOTP)
    serial = started.json()["serial"]
    is_problem(api.post("/api/v1/auth/token/soft/confirm", headers=headers,
                        json={"serial": serial, "code": "000000"}), 401,
               "AUTH_INVALID_CREDENTIALS")
    assert api.post("/api/v1/auth/token/soft/confirm", headers=headers,
                    json={"serial": serial, "code": totp.at(clock.now())}).status_code == 204
    assert api.get("/api/v1/auth/token", headers=headers).json()["active"] is True
    is_problem(api.post("/api/v1/auth/token/soft", headers=headers, json={}), 409,
               "AUTH_TOKEN_STATE")                         # one smartphone per user


@pytest.mark.req("CRED-6")
def test_compromise_report_over_the_api(api: TestClient, db: Database, demo: Demo) -> None:
    token = bearer(yamada_login(api).json()["session_token"])
    other = bearer(yamada_login(api).json()["session_token"])
    done = api.post("/api/v1/auth/compromise", headers=token, json={"credential": "password"})
    assert done.status_code == 202 and done.json()["status"] == "service_stopped"
    for t in (token, other):
        is_problem(api.get("/api/v1/me", headers=t), 401, "AUTH_SESSION_EXPIRED")
    is_problem(yamada_login(api), 403, "AUTH_SUSPENDED")
    with db.transaction() as s:
        user = s.get(AuthUser, demo.user(du.YAMADA_MEMBER_NUMBER).user_id)
        assert user is not None and user.state is UserState.SUSPENDED


# --- bad input: problem+json, never a 500 -------------------------------------------------

_POSTS = ["/api/v1/auth/login/retail-001", "/api/v1/auth/login/retail-003",
          "/api/v1/auth/login/corporate", "/api/v1/auth/login/corporate-certificate",
          "/api/v1/auth/first-use", "/api/v1/auth/second-step",
          "/api/v1/auth/change-credentials", "/api/v1/auth/password",
          "/api/v1/auth/token/hard", "/api/v1/auth/token/soft",
          "/api/v1/auth/token/soft/confirm", "/api/v1/auth/compromise",
          "/api/v1/auth/logout", "/api/v1/auth/sessions/end-others",
          "/api/v1/auth/confirmation-code"]
_FIELDS = ["member_number", "password", "user_id", "otp_code", "challenge_id",
           "confirmation_code", "login_id", "attributes", "secret_phrase", "current_password",
           "new_password", "new_login_id", "current", "new", "kind", "serial", "code",
           "credential", "note", "branch_code", "account_type", "account_number",
           "temporary_login_password", "temporary_confirmation_password", "whole_contract"]
_values = st.one_of(st.none(), st.booleans(), st.integers(),
                    st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=300), st.lists(st.text(max_size=5), max_size=3),
                    st.dictionaries(st.text(max_size=10), st.text(max_size=200), max_size=5))


def test_bad_input_is_problem_json_and_never_a_500(db: Database, demo: Demo) -> None:
    with TestClient(create_app(db, Settings()), headers=JSON,
                    raise_server_exceptions=False) as client:
        token = yamada_login(client).json()["session_token"]

        @settings(max_examples=150, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow])
        @given(path=st.sampled_from(_POSTS), body=st.one_of(
            st.dictionaries(st.sampled_from(_FIELDS), _values, max_size=8), _values,
            st.binary(max_size=50)), auth=st.booleans())
        def check(path: str, body: object, auth: bool) -> None:
            headers = bearer(token) if auth else {}
            if isinstance(body, bytes):
                response = client.post(path, content=body, headers=headers | {
                    "Content-Type": "application/json"})
            else:
                response = client.post(path, json=body, headers=headers)
            assert response.status_code < 500, (path, body, response.text)
            if response.status_code >= 400:
                assert response.headers["content-type"] == "application/problem+json"
                assert response.json()["code"]

        check()


# --- lockout at exactly N under parallel guesses (PostgreSQL) -----------------------------


@pytest.mark.req("AUTH-6")
def test_parallel_wrong_logins_lock_at_exactly_n(pg_url: str, db: Database, demo: Demo) -> None:
    """Twelve wrong passwords at once over real HTTP: exactly N−1 plain failures, the N-th
    locks (retail-001: until released), the rest find it locked; N failures are counted."""
    n = rules_for(Product.RETAIL_001).max_failed_attempts
    barrier = threading.Barrier(12)
    # The throttle (which would answer some of these 429) is not what this test is about.
    with overridden(throttle_failures_per_id=100), running(
            create_app(db, Settings())) as url, httpx.Client(base_url=url) as http:
        def guess(i: int) -> str:
            barrier.wait()
            response = http.post("/api/v1/auth/login/retail-001", json={
                "member_number": du.YAMADA_MEMBER_NUMBER, "password": f"Wrong{i}Pass"})
            body: dict[str, Any] = response.json()
            return str(body["code"])

        with ThreadPoolExecutor(12) as pool:
            answers = list(pool.map(guess, range(12)))
        right = http.post("/api/v1/auth/login/retail-001", json={
            "member_number": du.YAMADA_MEMBER_NUMBER, "password": du.YAMADA_PASSWORD})
    assert answers.count("AUTH_INVALID_CREDENTIALS") == n - 1
    assert answers.count("AUTH_LOCKED_UNTIL_RELEASED") == 12 - (n - 1)
    assert right.json()["code"] == "AUTH_LOCKED_UNTIL_RELEASED"
    user_id = demo.user(du.YAMADA_MEMBER_NUMBER).user_id
    with db.transaction() as s:
        user = s.get(AuthUser, user_id)
        assert user is not None
        assert user.state is UserState.LOCKED and user.lockout_count == 1
        counted = s.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "auth.failure",
            AuditEvent.subject_id == str(user_id))).scalar_one()
    assert counted == n


# --- no access to another customer's resources on any route ------------------------------


def _b_resources(db: Database, demo: Demo) -> dict[str, int | str]:
    """Customer B (佐藤) with an account, a payee, an entered transfer and an operator
    request about her; returns the ids a path parameter may name."""
    sato = demo.user(du.SATO_USER_ID)
    with db.transaction() as s:
        user = s.get(AuthUser, sato.user_id)
        assert user is not None
        actor = Actor(user.id, user.contract_id, user.customer_id)
        quote = transfers.enter(s, actor, key=uuid.uuid4().hex,
                                from_account_id=demo.ids["sato_ordinary"], amount="5000",
                                bank_code="0999", branch_code="001", account_type="ordinary",
                                number="1234567", value_date=None)
        teller = demo.user("T001").user_id
        assert teller is not None
        request = approvals.request(s, action="auth.reset_password", subject_type="auth_user",
                                    subject_id=user.id, payload={"user_id": user.id},
                                    reason="test", requested_by=teller)
        from kinko import clock
        from kinko.debitcards.service import register_card
        from kinko.deposits.service import confirm_opening, enter_opening, list_deposits
        from kinko.instructions.service import StepUpProof

        opening = enter_opening(s, actor, key=uuid.uuid4().hex,
                                from_account_id=demo.ids["sato_ordinary"], amount="10000",
                                term_months=1)
        confirm_opening(s, actor, opening.instruction.id, StepUpProof(
            actor.user_id, opening.instruction.digest, clock.now()))
        deposit = list_deposits(s, actor)[0]
        card = register_card(s, actor, account_id=demo.ids["sato_ordinary"],
                             card_number="4111111111111111")
        from kinko.claims.models import Claim, ClaimKind, ClaimState

        claim = Claim(kind=ClaimKind.FRAUD, state=ClaimState.RECEIVED,
                      customer_id=actor.customer_id, contract_id=actor.contract_id,
                      user_id=actor.user_id, product="retail-003", channel="web",
                      notified_on=clock.today(), noticed_on=clock.today(),
                      reported_by="test", created_at=clock.now())
        s.add(claim)
        from kinko.verification import repository as verification_repo
        from kinko.verification.models import CaseState, VerificationCase

        face = verification_repo.current_document_face(s, user.customer_id)
        assert face is not None
        case = VerificationCase(customer_id=user.customer_id, state=CaseState.REVIEW,
                                due_at=clock.now(), deadline_at=clock.now(), attempts=1,
                                restricted=False, created_at=clock.now())
        s.add(case)
        s.flush()
        return {"account_id": demo.ids["sato_ordinary"],
                "instruction_id": quote.instruction.id, "request_id": request.id,
                "deposit_id": deposit.id, "card_id": card.id, "recall_id": 1,
                # The operator console's and its API's resources about B.
                "customer_id": user.customer_id, "contract_id": user.contract_id,
                "user_id": user.id, "shipment_id": 1, "certificate_id": 1,
                "claim_id": claim.id, "case_id": case.id, "image_id": face.id,
                "kind": "bulk", "bulk_id": 1, "line_no": 1, "approval_id": "A" * 43,
                # The corporate services' resources (a business contract's, never B's own).
                "agreement_id": 1, "batch_id": 1, "seq": 1, "payment_id": 1,
                "document_id": 1, "candidate_id": 1, "payee_id": 1, "mandate_id": 1,
                "application_id": 1}


# A body that passes the route's validation, so that the answer is about B's resource and not
# about a missing field (FastAPI validates the body before the handler looks anything up).
BODIES = {
    ("PATCH", "/api/v1/corporate/transfer-approvals/{instruction_id}"): {"amount": 1_000},
    ("PUT", "/api/v1/corporate/bulk-payees/{payee_id}"): {
        "bank_code": "0999", "branch_code": "001", "account_number": "1234567",
        "payee_kana": "ﾃｽﾄ"},
    ("POST", "/api/v1/corporate/direct-debit/agreements/{agreement_id}/mandates"): {
        "branch_code": "001", "account_number": "1234567", "payer_name": "ﾃｽﾄ"},
}


def test_no_route_lets_one_customer_reach_anothers_resources(
        api: TestClient, db: Database, demo: Demo) -> None:
    """Every route of the app with a path parameter, called by customer A (山田) with B's
    ids — over the API with A's bearer token and over the pages with A's cookie and a valid
    CSRF token — answers not-found, forbidden or a login redirect, shows none of B's data,
    and changes nothing of B's."""
    b = _b_resources(db, demo)
    with db.transaction() as s:
        account = s.get(Account, b["account_id"])
        assert account is not None
        b_balance, b_number = account.balance, account.number
    token = yamada_login(api).json()["session_token"]
    api.cookies.set(SESSION_COOKIE, token)
    routes = [(p, m) for p, m in all_routes(api.app) if "{" in p]
    assert len(routes) >= 9
    checked = 0
    for path, methods in routes:
        url = path
        for name in [part.strip("{}") for part in path.split("/") if part.startswith("{")]:
            assert name in b, f"map the path parameter {name!r} of {path} to B's resource"
            url = url.replace("{" + name + "}", str(b[name]))
        for method in sorted(methods):
            if path.startswith("/api/"):
                response = api.request(method, url, headers=bearer(token) | {
                    "Idempotency-Key": uuid.uuid4().hex},
                    json=BODIES.get((method, path), {}) if method != "GET" else None)
                allowed = {403, 404}
            else:
                response = api.request(method, url, headers={"Accept": "text/html"},
                                       data={"csrf_token": csrf_token(token)}
                                       if method != "GET" else None,
                                       follow_redirects=False)
                allowed = {403, 404}
                if response.status_code == 303:
                    assert response.headers["location"].startswith(("/login", "/operator/login"))
                    allowed = {303}
            assert response.status_code in allowed, (method, path, response.status_code,
                                                     response.text[:300])
            assert b_number not in response.text and "ｻﾄｳ ﾊﾅｺ" not in response.text
            checked += 1
    assert checked >= 9
    with db.transaction() as s:
        instruction = s.get(Instruction, b["instruction_id"])
        account = s.get(Account, b["account_id"])
        request = s.get(ApprovalRequest, b["request_id"])
        assert instruction is not None and account is not None and request is not None
        assert instruction.status.value == "entered" and account.balance == b_balance
        assert request.state is ApprovalState.PENDING
