"""Login, forced change, second step, logout, security and operator pages over HTTP
(UI-1, AUTH-1..13, CRED-1..6, OPS-1), driven like a browser: cookies and forms with CSRF."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from kinko import clock
from kinko.audit.models import AuditEvent
from kinko.auth import enrolment, sessions, tokens
from kinko.auth import repository as auth_repo
from kinko.auth.crypto import CHEAP_FOR_TESTS, SecretHasher, use_hasher
from kinko.auth.models import (
    AuthUser,
    Course,
    Product,
    SessionScope,
    TokenIssueReason,
    TokenKind,
    UserState,
)
from kinko.auth.policy import overridden, rules_for, with_profile
from kinko.config import Settings
from kinko.db import Database
from kinko.ledger.models import Account
from kinko.web import demo_users as du
from kinko.web.app import create_app
from kinko.web.auth import SESSION_COOKIE, csrf_token
from kinko.web.pages.auth import LOGIN_COOKIE, PENDING_COOKIE, safe_next
from kinko.web.pages.operator import OPERATOR_COOKIE
from tests import factories
from tests.e2e.support import (
    T0,
    Codes,
    Demo,
    all_routes,
    build_demo,
    operator_totp,
    sato_code,
    totp,
)

HTML = {"Accept": "text/html"}


@pytest.fixture(autouse=True)
def cheap_hasher() -> Iterator[None]:
    # Production argon2 parameters are exercised by the timing test in test_auth_api.py.
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
def web(db: Database, demo: Demo) -> Iterator[TestClient]:
    with TestClient(create_app(db, Settings()), headers=HTML, follow_redirects=False) as c:
        yield c


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def login(web: TestClient, product: str, login_id: str, password: str,
          codes: Codes | None = None, *, next_: str = "", **extra: str) -> Response:
    page = web.get(f"/login?product={product}")
    assert page.status_code == 200, page.text
    form = {"csrf_token": csrf_of(page.text), "product": product, "login_id": login_id,
            "password": password, "next": next_, **extra}
    if product == "retail-003":
        assert codes is not None
        form["challenge_id"], code = codes.on_page(page.text)
        form.setdefault("confirmation_code", code.lower())   # typed in lower case: accepted
    return web.post("/login", data=form)


def login_yamada(web: TestClient, **kw: str) -> Response:
    return login(web, "retail-001", du.YAMADA_MEMBER_NUMBER, du.YAMADA_PASSWORD, **kw)


def follow(web: TestClient, response: Response) -> Response:
    assert response.status_code == 303, response.text
    return web.get(response.headers["location"])


def sato_first_login(web: TestClient, codes: Codes, new_id: str = "hanako01",
                     new_password: str = "Sakura8Hana") -> Response:
    forced = login(web, "retail-003", du.SATO_USER_ID, du.SATO_PASSWORD, codes,
                   otp_code=sato_code())
    assert forced.headers["location"] == "/login/change"
    page = follow(web, forced)
    assert page.status_code == 200 and 'name="new_login_id"' in page.text
    return web.post("/login/change", data={
        "csrf_token": csrf_of(page.text), "new_login_id": new_id,
        "current_password": du.SATO_PASSWORD, "new_password": new_password,
        "new_password_again": new_password})


def user_row(db: Database, user_id: int) -> AuthUser:
    with db.transaction() as s:
        user = s.get(AuthUser, user_id)
        assert user is not None
        s.expunge(user)
        return user


# --- the login page ------------------------------------------------------------------------


@pytest.mark.req("UI-1")
@pytest.mark.parametrize("product", ["retail-001", "retail-003", "corporate-002"])
def test_login_page_per_product_in_japanese_and_english(web: TestClient, product: str) -> None:
    page = web.get(f"/login?product={product}")
    assert page.status_code == 200
    assert '<html lang="ja">' in page.text and "ログイン" in page.text
    assert 'name="viewport"' in page.text and 'aria-current="page"' in page.text
    assert page.cookies.get(LOGIN_COOKIE)
    english = web.get(f"/login?product={product}&lang=en")
    assert '<html lang="en">' in english.text and "Log in" in english.text
    if product == "retail-003":
        # The confirmation code is an image the server drew, never text on the page.
        assert 'src="data:image/png;base64,' in page.text
        assert 'name="otp_code"' in page.text and 'name="confirmation_code"' in page.text
    if product == "corporate-002":
        assert "method=certificate" in page.text and "/login/first-use" in page.text


@pytest.mark.req("UI-1")
def test_pages_are_csp_clean(web: TestClient, codes: Codes) -> None:
    """No inline script, style or handler on any page of this layer, so the strict CSP
    (script-src 'self'; style-src 'self') never has to be loosened."""
    pages = [web.get(f"/login?product={p}").text for p in ("retail-001", "retail-003",
                                                             "corporate-002")]
    pages.append(web.get("/login/first-use").text)
    pages.append(web.get("/operator/login").text)
    login_yamada(web)
    pages += [web.get(p).text for p in ("/security", "/security/password",
                                        "/security/sessions", "/security/token",
                                        "/security/report", "/banking")]
    for html in pages:
        assert "<style" not in html and " style=" not in html
        assert not re.search(r"<script(?![^>]*\bsrc=)", html)
        assert not re.search(r"\son[a-z]+=", html)


@pytest.mark.req("AUTH-13")
def test_after_login_the_page_shows_the_previous_login(web: TestClient, db: Database) -> None:
    first = login_yamada(web)
    assert first.headers["location"] == "/banking"
    assert "初めてのログインです" in web.get("/banking").text
    clock.set_now(T0 + timedelta(hours=3))
    second = login_yamada(web)
    home = follow(web, second).text
    # The previous login (10:00), not this one (13:00), which the user row now holds.
    assert "2026-11-20 10:00" in home and "13:00" not in home.split('id="last-login"')[1][:80]
    assert user_row(db, du_user_id(db, du.YAMADA_MEMBER_NUMBER)).last_login_at == clock.now()


def du_user_id(db: Database, login_id: str, product: Product = Product.RETAIL_001) -> int:
    with db.transaction() as s:
        user = auth_repo.user_by_login_id(s, product, login_id)
        assert user is not None
        return user.id


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/x", "/\\evil.example", "\\\\evil.example",
    "http:/evil.example", "/\t/evil.example", "javascript:alert(1)", "evil.example",
    "/login?next=//evil.example", "/api/v1/accounts", "",
])
def test_next_never_leaves_the_site(target: str) -> None:
    assert safe_next(target) == "/banking"


def test_login_returns_to_the_page_asked_for(web: TestClient, demo: Demo) -> None:
    account = demo.ids["yamada_ordinary"]
    asked = web.get(f"/banking/accounts/{account}")
    assert asked.status_code == 303 and asked.headers["location"].startswith("/login?next=")
    next_ = parse_qs(urlsplit(asked.headers["location"]).query)["next"][0]
    page = web.get(asked.headers["location"])
    assert f'name="next" value="{next_}"' in page.text
    done = login_yamada(web, next_=next_)
    assert done.headers["location"] == f"/banking/accounts/{account}"
    evil = login_yamada(web, next_="//evil.example/")
    assert evil.headers["location"] == "/banking"


# --- retail-003: OTP, confirmation code, forced first change -------------------------------


@pytest.mark.req("AUTH-7")
@pytest.mark.req("AUTH-1")
def test_retail_003_first_login_forces_new_id_and_password(web: TestClient, codes: Codes,
                                                           db: Database) -> None:
    forced = login(web, "retail-003", du.SATO_USER_ID, du.SATO_PASSWORD, codes,
                   otp_code=sato_code())
    assert forced.status_code == 303 and forced.headers["location"] == "/login/change"
    assert forced.cookies.get(PENDING_COOKIE) and not forced.cookies.get(SESSION_COOKIE)
    # The limited session opens nothing but the change page.
    assert web.get("/banking").headers["location"].startswith("/login")
    pending = forced.cookies[PENDING_COOKIE]
    refused = web.get("/api/v1/accounts", headers={"Authorization": f"Bearer {pending}",
                                                   "Accept": "application/json"})
    assert refused.status_code == 403 and refused.json()["code"] == "AUTH_SCOPE_NOT_ALLOWED"
    page = web.get("/login/change")
    weak = web.post("/login/change", data={
        "csrf_token": csrf_of(page.text), "new_login_id": "hanako01",
        "current_password": du.SATO_PASSWORD, "new_password": "abcd1234",
        "new_password_again": "abcd1234"})
    assert weak.status_code == 422 and "連続" in weak.text      # AUTH-9 reason shown
    done = web.post("/login/change", data={
        "csrf_token": csrf_of(page.text), "new_login_id": "hanako01",
        "current_password": du.SATO_PASSWORD, "new_password": "Sakura8Hana",
        "new_password_again": "Sakura8Hana"})
    assert done.status_code == 303 and done.headers["location"] == "/banking"
    assert web.get("/banking").status_code == 200
    clock.advance(timedelta(seconds=30))
    again = login(web, "retail-003", "hanako01", "Sakura8Hana", codes, otp_code=sato_code())
    assert again.headers["location"] == "/banking"


@pytest.mark.req("AUTH-1")
def test_wrong_confirmation_code_counts_nothing_and_draws_a_new_one(
        web: TestClient, codes: Codes, db: Database, demo: Demo) -> None:
    wrong = login(web, "retail-003", du.SATO_USER_ID, du.SATO_PASSWORD, codes,
                  otp_code=sato_code(), confirmation_code="XXXXXX")
    assert wrong.status_code == 401 and "確認コード" in wrong.text
    assert 'src="data:image/png;base64,' in wrong.text
    assert user_row(db, demo.user(du.SATO_USER_ID).user_id or 0).failure_count == 0


@pytest.mark.req("AUTH-5")
def test_one_time_password_replay_is_refused(web: TestClient, codes: Codes) -> None:
    assert sato_first_login(web, codes).headers["location"] == "/banking"
    clock.advance(timedelta(seconds=30))
    code = sato_code()
    first = login(web, "retail-003", "hanako01", "Sakura8Hana", codes, otp_code=code)
    assert first.headers["location"] == "/banking"
    web.post("/logout", data={"csrf_token": csrf_token(first.cookies[SESSION_COOKIE])})
    replay = login(web, "retail-003", "hanako01", "Sakura8Hana", codes, otp_code=code)
    assert replay.status_code == 401 and 'role="alert"' in replay.text


# --- corporate: second step, temporary passwords, first use -----------------------------


@pytest.mark.req("AUTH-1")
@pytest.mark.req("AUTH-11")
def test_corporate_login_with_secret_phrase_second_step(web: TestClient, db: Database) -> None:
    step = login(web, "corporate-002", du.SHOJI_LOGIN_ID, du.SHOJI_PASSWORD)
    assert step.headers["location"] == "/login/second-step"
    page = web.get("/login/second-step")
    assert 'name="secret_phrase"' in page.text
    wrong = web.post("/login/second-step", data={"csrf_token": csrf_of(page.text),
                                                 "secret_phrase": "ちがう"})
    assert wrong.status_code == 401
    master = du_user_id(db, du.SHOJI_LOGIN_ID, Product.CORPORATE_002)
    assert user_row(db, master).failure_count == 1
    done = web.post("/login/second-step", data={"csrf_token": csrf_of(page.text),
                                                "secret_phrase": du.SHOJI_PHRASE})
    assert done.headers["location"] == "/banking"
    # A business net user has its own portal, not the retail menu (PRD-2).
    landing = web.get("/banking", follow_redirects=False)
    assert landing.headers["location"] == "/corporate"
    assert web.get("/corporate").status_code == 200


@pytest.mark.req("AUTH-7")
def test_corporate_temporary_passwords_are_changed_at_first_login(web: TestClient) -> None:
    forced = login(web, "corporate-002", du.KEIRI_LOGIN_ID, du.KEIRI_TEMPORARY_PASSWORD)
    page = follow(web, forced)
    assert 'name="new_confirmation_password"' in page.text
    assert 'name="new_login_id"' not in page.text
    done = web.post("/login/change", data={
        "csrf_token": csrf_of(page.text), "current_password": du.KEIRI_TEMPORARY_PASSWORD,
        "new_password": "Hanami3Keiri", "new_password_again": "Hanami3Keiri",
        "current_confirmation_password": du.KEIRI_TEMPORARY_CONFIRMATION,
        "new_confirmation_password": "Tsuki9Kakunin",
        "new_confirmation_password_again": "Tsuki9Kakunin"})
    assert done.headers["location"] == "/banking", done.text


@pytest.mark.req("AUTH-7")
def test_corporate_first_use_registers_the_login_id(web: TestClient, db: Database) -> None:
    with db.transaction() as s:
        c = factories.customer(s, name="株式会社テスト", name_kana="ｶ)ﾃｽﾄ")
        account_id = factories.account(s, balance=10_000, holder="ｶ)ﾃｽﾄ")
        account = s.get(Account, account_id)
        assert account is not None
        account.customer_id = c.id
        s.flush()
        enrolment.enrol_corporate(
            s, customer_id=c.id, course=Course.BASIC, representative_account_id=account_id,
            temporary_login_password="Kari3Login", temporary_confirmation_password="Kari5Kaku",
            token_kind=TokenKind.HARD, actor="test")
        branch, number = account.branch_code, account.number
    page = web.get("/login/first-use")
    form = {"csrf_token": csrf_of(page.text), "branch_code": branch,
            "account_type": "ordinary", "account_number": number,
            "temporary_login_password": "Kari3Login",
            "temporary_confirmation_password": "wrong", "login_id": "testcorp1"}
    assert web.post("/login/first-use", data=form).status_code == 401
    form["temporary_confirmation_password"] = "Kari5Kaku"
    done = web.post("/login/first-use", data=form)
    assert done.headers["location"] == "/login?product=corporate-002&notice=registered"
    forced = login(web, "corporate-002", "testcorp1", "Kari3Login")
    assert forced.headers["location"] == "/login/change"


# --- expiry, attributes, lockout ---------------------------------------------------------


@pytest.mark.req("AUTH-8")
def test_expired_password_opens_only_the_change_page(web: TestClient) -> None:
    clock.set_now(T0 + timedelta(days=91))
    forced = login_yamada(web)
    assert forced.headers["location"] == "/login/change"
    page = web.get("/login/change")
    assert 'id="expired-notice"' in page.text and 'name="new_login_id"' not in page.text
    assert web.get("/banking").headers["location"].startswith("/login")
    same = web.post("/login/change", data={
        "csrf_token": csrf_of(page.text), "current_password": du.YAMADA_PASSWORD,
        "new_password": du.YAMADA_PASSWORD, "new_password_again": du.YAMADA_PASSWORD})
    assert same.status_code == 422                      # the old one cannot be reused
    done = web.post("/login/change", data={
        "csrf_token": csrf_of(page.text), "current_password": du.YAMADA_PASSWORD,
        "new_password": "Taro8Shinki", "new_password_again": "Taro8Shinki"})
    assert done.headers["location"] == "/banking"


@pytest.mark.req("AUTH-2")
def test_attribute_check_when_the_bank_asks_for_it(web: TestClient) -> None:
    profile = with_profile(Product.RETAIL_001, login_attributes=("phone",))
    with overridden(profiles={Product.RETAIL_001: profile}):
        step = login_yamada(web)
        assert step.headers["location"] == "/login/second-step"
        page = web.get("/login/second-step")
        assert 'name="phone"' in page.text and 'name="secret_phrase"' not in page.text
        wrong = web.post("/login/second-step", data={"csrf_token": csrf_of(page.text),
                                                     "phone": "03-0000-0000"})
        assert wrong.status_code == 401
        done = web.post("/login/second-step", data={"csrf_token": csrf_of(page.text),
                                                    "phone": "090-1234-5678"})
        assert done.headers["location"] == "/banking"


@pytest.mark.req("AUTH-6")
@pytest.mark.req("OPS-1")
def test_lockout_then_release_by_two_operators(web: TestClient, db: Database) -> None:
    def wrong() -> Response:
        return login(web, "retail-001", du.YAMADA_MEMBER_NUMBER, "Wrong1Pass")

    statuses = [wrong().status_code for _ in range(4)]
    # The throttle holds the 5th attempt (which would lock until released) for one window.
    throttled = wrong()
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
    clock.advance(rules_for(Product.RETAIL_001).throttle_window)
    statuses += [wrong().status_code for _ in range(2)]
    assert statuses == [401, 401, 401, 401, 423, 423]
    right = login_yamada(web)
    assert right.status_code == 423 and "お問い合わせ" in right.text   # 001: until released
    yamada = du_user_id(db, du.YAMADA_MEMBER_NUMBER)
    assert user_row(db, yamada).state is UserState.LOCKED

    teller = operator_login(web, "T001")
    queue = web.get("/operator").text
    assert f'id="user-{yamada}"' in queue
    asked = web.post("/operator/requests", data={
        "csrf_token": teller, "action": "auth.release_lock", "target_id": str(yamada),
        "reason": "本人確認済み（窓口）"})
    assert asked.status_code == 303
    request_id = int(asked.headers["location"].rsplit("-", 1)[1])
    own = web.post(f"/operator/requests/{request_id}/approve", data={"csrf_token": teller})
    assert own.status_code == 403 and "依頼者本人は承認できません" in own.text  # four eyes
    security = operator_login(web, "S001")
    approved = web.post(f"/operator/requests/{request_id}/approve",
                        data={"csrf_token": security})
    assert approved.status_code == 303
    assert user_row(db, yamada).state is UserState.ACTIVE
    assert login_yamada(web).headers["location"] == "/banking"


def operator_login(web: TestClient, code: str) -> str:
    """Sign a demo operator in with password + the authenticator's current code; returns the
    console's CSRF token."""
    page = web.get("/operator/login")
    wrong = web.post("/operator/login", data={
        "csrf_token": csrf_of(page.text), "code": code, "password": du.OPERATOR_PASSWORD,
        "otp": "000000" if operator_totp(code) != "000000" else "111111"})
    assert wrong.status_code == 401
    done = web.post("/operator/login", data={
        "csrf_token": csrf_of(page.text), "code": code, "password": du.OPERATOR_PASSWORD,
        "otp": operator_totp(code)})
    assert done.status_code == 303 and done.cookies.get(OPERATOR_COOKIE)
    return csrf_of(web.get("/operator").text)


@pytest.mark.req("AUTH-10")
@pytest.mark.req("OPS-1")
def test_password_reset_is_approved_by_a_second_operator_and_shown_once(
        web: TestClient, db: Database) -> None:
    yamada = du_user_id(db, du.YAMADA_MEMBER_NUMBER)
    teller = operator_login(web, "T001")
    found = web.get(f"/operator?product=retail-001&login_id={du.YAMADA_MEMBER_NUMBER}")
    assert 'id="found-user"' in found.text
    asked = web.post("/operator/requests", data={
        "csrf_token": teller, "action": "auth.reset_password", "target_id": str(yamada),
        "reason": "パスワード失念の届出"})
    request_id = int(asked.headers["location"].rsplit("-", 1)[1])
    security = operator_login(web, "S002")
    shown = web.post(f"/operator/requests/{request_id}/approve",
                     data={"csrf_token": security})
    assert shown.status_code == 200 and 'id="temporary-password"' in shown.text
    temporary = re.search(r'<p class="secret">([A-Za-z0-9]+)</p>', shown.text)
    assert temporary
    assert temporary.group(1) not in web.get("/operator").text   # shown once only
    forced = login(web, "retail-001", du.YAMADA_MEMBER_NUMBER, temporary.group(1))
    assert forced.headers["location"] == "/login/change"


# --- session cookie: fixation, logout, other sessions -------------------------------------


@pytest.mark.req("AUTH-6")
def test_session_fixation_is_impossible(web: TestClient, db: Database, demo: Demo) -> None:
    """A token set before login (made up, or a real session of another user planted by an
    attacker) never becomes the victim's authenticated session."""
    web.cookies.set(SESSION_COOKIE, "attacker-chosen-value")
    done = login_yamada(web)
    token = done.cookies[SESSION_COOKIE]
    assert token != "attacker-chosen-value"
    api = {"Accept": "application/json"}
    assert web.get("/api/v1/me", headers=api | {"Authorization": "Bearer attacker-chosen-value"}
                   ).status_code == 401
    # The attacker's own live session, planted in the victim's browser, is ended by the login.
    with db.transaction() as s:
        sato = s.get(AuthUser, demo.user(du.SATO_USER_ID).user_id)
        assert sato is not None
        planted, _ = sessions.start(s, sato, rules_for(Product.RETAIL_003))
    web.cookies.clear()
    web.cookies.set(SESSION_COOKIE, planted)
    mine = login_yamada(web).cookies[SESSION_COOKIE]
    assert mine != planted
    assert web.get("/api/v1/me", headers=api | {"Authorization": f"Bearer {planted}"}
                   ).status_code == 401
    me = web.get("/api/v1/me", headers=api | {"Authorization": f"Bearer {mine}"}).json()
    assert me["user_id"] == du_user_id(db, du.YAMADA_MEMBER_NUMBER)
    # A limited (pending) token is not a session either.
    with db.transaction() as s:
        yamada = s.get(AuthUser, me["user_id"])
        assert yamada is not None
        limited, _ = sessions.start(s, yamada, rules_for(Product.RETAIL_001),
                                    scope=SessionScope.CHANGE_CREDENTIALS)
    assert web.get("/api/v1/me", headers=api | {"Authorization": f"Bearer {limited}"}
                   ).status_code == 403


def test_logout_needs_the_csrf_token_and_ends_the_session(web: TestClient) -> None:
    token = login_yamada(web).cookies[SESSION_COOKIE]
    assert web.post("/logout", data={}).status_code == 403
    assert web.get("/banking").status_code == 200
    out = web.post("/logout", data={"csrf_token": csrf_token(token)})
    assert out.status_code == 303 and out.headers["location"] == "/login?notice=logged_out"
    assert "ログアウトしました" in web.get(out.headers["location"]).text
    web.cookies.set(SESSION_COOKIE, token)
    assert web.get("/banking").headers["location"].startswith("/login")


@pytest.mark.req("AUTH-8")
@pytest.mark.req("AUTH-9")
def test_password_change_page(web: TestClient, db: Database) -> None:
    login_yamada(web)
    with TestClient(web.app, headers=HTML, follow_redirects=False) as other:
        login_yamada(other)                         # another device
        page = web.get("/security/password").text
        wrong = web.post("/security/password", data={
            "csrf_token": csrf_of(page), "current": "Wrong9Pass", "new": "Taro8Shinki",
            "again": "Taro8Shinki"})
        assert wrong.status_code == 422 and "現在のパスワードが正しくありません" in wrong.text
        guessable = web.post("/security/password", data={
            "csrf_token": csrf_of(page), "current": du.YAMADA_PASSWORD, "new": "a19850412",
            "again": "a19850412"})
        assert guessable.status_code == 422 and "生年月日" in guessable.text
        done = web.post("/security/password", data={
            "csrf_token": csrf_of(page), "current": du.YAMADA_PASSWORD, "new": "Taro8Shinki",
            "again": "Taro8Shinki"})
        assert done.status_code == 200 and 'id="password-changed"' in done.text
        assert other.get("/banking").status_code == 303       # the other device is out
    assert login(web, "retail-001", du.YAMADA_MEMBER_NUMBER, "Taro8Shinki").status_code == 303


def test_sessions_page_lists_and_ends_other_sessions(web: TestClient) -> None:
    login_yamada(web)
    with TestClient(web.app, headers=HTML, follow_redirects=False) as phone:
        phone.headers["user-agent"] = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0) Mobile/15E148"
        login_yamada(phone)
        page = web.get("/security/sessions").text
        assert page.count("<tr") == 3 and "smartphone" in page and "（この端末）" in page
        ended = web.post("/security/sessions/end-others", data={"csrf_token": csrf_of(page)})
        assert ended.headers["location"] == "/security/sessions?ended=1"
        assert phone.get("/banking").status_code == 303
        assert web.get("/banking").status_code == 200


# --- tokens and compromise reports ------------------------------------------------------


@pytest.mark.req("CRED-1")
@pytest.mark.req("CRED-3")
def test_hard_token_registration_page(web: TestClient, db: Database, demo: Demo) -> None:
    keiri = demo.user(du.KEIRI_LOGIN_ID).user_id
    with db.transaction() as s:
        user = s.get(AuthUser, keiri)
        assert user is not None
        tokens.issue_hard_token(s, contract_id=user.contract_id, serial="ET-TEST-9",
                                reason=TokenIssueReason.EXTRA, seed=b"t" * 20,
                                fee_accounts=tokens.FeeAccounts(demo.ids["fee_income"]),
                                actor="test")
        user.must_change_password = user.must_change_confirmation_password = False
        full, _ = sessions.start(s, user, rules_for(Product.CORPORATE_002, Course.BASIC))
    web.cookies.set(SESSION_COOKIE, full)
    page = web.get("/security/token").text
    assert 'id="hard-token-form"' in page
    wrong = web.post("/security/token/hard", data={"csrf_token": csrf_of(page),
                                                   "serial": "ET-TEST-9", "code": "000000"})
    assert wrong.status_code == 401
    done = web.post("/security/token/hard", data={"csrf_token": csrf_of(page),
                                                  "serial": "ET-TEST-9",
                                                  "code": totp(b"t" * 20)})
    assert done.status_code == 200 and 'id="token-registered"' in done.text
    assert "ET-TEST-9" in web.get("/security/token").text


@pytest.mark.req("CRED-2")
def test_soft_token_provisioning_shows_the_uri_once(web: TestClient, db: Database) -> None:
    with db.transaction() as s:
        c = factories.customer(s, name="株式会社ソフト", name_kana="ｶ)ｿﾌﾄ")
        account_id = factories.account(s, balance=10_000, holder="ｶ)ｿﾌﾄ")
        account = s.get(Account, account_id)
        assert account is not None
        account.customer_id = c.id
        s.flush()
        master = enrolment.enrol_corporate(
            s, customer_id=c.id, course=Course.COMPREHENSIVE,
            representative_account_id=account_id, temporary_login_password="Kari3Login",
            temporary_confirmation_password="Kari5Kaku", token_kind=TokenKind.SOFT,
            actor="test")
        full, _ = sessions.start(s, master, rules_for(Product.CORPORATE_002,
                                                      Course.COMPREHENSIVE))
    web.cookies.set(SESSION_COOKIE, full)
    page = web.get("/security/token").text
    started = web.post("/security/token/soft", data={"csrf_token": csrf_of(page),
                                                     "device_label": "iPhone"})
    uri = re.search(r'<code id="otpauth-uri">(otpauth://[^<]+)</code>', started.text)
    assert started.status_code == 200 and uri
    secret = parse_qs(urlsplit(uri.group(1).replace("&amp;", "&")).query)["secret"][0]
    assert "otpauth-uri" not in web.get("/security/token").text    # not shown again
    import pyotp

    serial = re.search(r'name="serial" value="([^"]+)"', started.text)
    assert serial
    done = web.post("/security/token/soft/confirm", data={
        "csrf_token": csrf_of(page), "serial": serial.group(1),
        "code": pyotp.TOTP(secret).at(clock.now())})
    assert done.status_code == 200 and 'id="token-registered"' in done.text


@pytest.mark.req("CRED-6")
@pytest.mark.req("SUSP-1")
def test_compromise_report_stops_the_service_until_two_operators_resume_it(
        web: TestClient, db: Database, demo: Demo) -> None:
    login_yamada(web)
    with TestClient(web.app, headers=HTML, follow_redirects=False) as other:
        login_yamada(other)
        page = web.get("/security/report").text
        unconfirmed = web.post("/security/report", data={"csrf_token": csrf_of(page),
                                                         "credential": "card"})
        assert unconfirmed.status_code == 422
        stopped = web.post("/security/report", data={
            "csrf_token": csrf_of(page), "credential": "card", "understood": "yes",
            "note": "財布ごと紛失"})
        assert stopped.status_code == 200 and 'id="service-stopped"' in stopped.text
        assert other.get("/banking").status_code == 303        # every session ended at once
    assert web.get("/banking").status_code == 303
    refused = login_yamada(web)
    assert refused.status_code == 403 and "停止" in refused.text
    yamada = du_user_id(db, du.YAMADA_MEMBER_NUMBER)
    assert user_row(db, yamada).state is UserState.SUSPENDED

    teller = operator_login(web, "T001")
    queue = web.get("/operator").text
    report_id = re.search(r'id="report-(\d+)"', queue)
    assert report_id
    asked = web.post("/operator/requests", data={
        "csrf_token": teller, "action": "auth.resume_service",
        "target_id": report_id.group(1), "reason": "再発行カード到着を確認"})
    request_id = int(asked.headers["location"].rsplit("-", 1)[1])
    security = operator_login(web, "S001")
    web.post(f"/operator/requests/{request_id}/approve", data={"csrf_token": security})
    assert user_row(db, yamada).state is UserState.ACTIVE
    assert login_yamada(web).headers["location"] == "/banking"


def test_operator_records_a_report_taken_by_phone(web: TestClient, db: Database) -> None:
    yamada = du_user_id(db, du.YAMADA_MEMBER_NUMBER)
    teller = operator_login(web, "T001")
    done = web.post("/operator/reports", data={"csrf_token": teller, "user_id": str(yamada),
                                               "credential": "password", "note": "電話受付"})
    assert done.status_code == 303
    assert user_row(db, yamada).state is UserState.SUSPENDED
    with db.transaction() as s:
        assert s.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "auth.compromise_reported",
            AuditEvent.actor.like("operator:%"))).scalar_one() == 1


def test_operator_pages_need_an_operator(web: TestClient) -> None:
    assert web.get("/operator").headers["location"] == "/operator/login"
    login_yamada(web)          # a customer's session opens nothing here
    assert web.get("/operator").headers["location"] == "/operator/login"
    assert web.post("/operator/requests", data={"action": "auth.release_lock",
                                                "target_id": "1", "reason": "x"}
                    ).headers["location"] == "/operator/login"


# --- CSRF on every state-changing page form --------------------------------------------


def _page_posts(app: object) -> list[str]:
    return sorted({path for path, methods in all_routes(app)
                   if "POST" in methods and not path.startswith("/api/")})


def test_every_state_changing_page_form_refuses_a_missing_or_wrong_csrf_token(
        web: TestClient, db: Database, demo: Demo) -> None:
    """Each page POST route of the app is tried with every cookie a browser could hold (a
    full session, a pending login, an operator, the login nonce) and no CSRF token, then
    with the token of another session: all are refused with 403 and change nothing."""
    yamada = du_user_id(db, du.YAMADA_MEMBER_NUMBER)
    full = login_yamada(web).cookies[SESSION_COOKIE]
    with db.transaction() as s:
        user = s.get(AuthUser, yamada)
        assert user is not None
        pending, _ = sessions.start(s, user, rules_for(Product.RETAIL_001),
                                    scope=SessionScope.CHANGE_CREDENTIALS)
    operator_login(web, "S001")
    web.cookies.set(PENDING_COOKIE, pending, path="/login")
    assert web.cookies.get(LOGIN_COOKIE) and web.cookies.get(OPERATOR_COOKIE)
    routes = _page_posts(web.app)
    assert {"/login", "/logout", "/login/change", "/security/report",
            "/operator/requests/{request_id}/approve", "/banking/transfer"} <= set(routes)
    ids = {"request_id": "1", "instruction_id": "1", "recall_id": "1", "deposit_id": "1",
           "card_id": "1", "customer_id": "1", "account_id": "1", "contract_id": "1",
           "user_id": "1", "shipment_id": "1", "certificate_id": "1",
           "claim_id": "1", "case_id": "1", "bulk_id": "1", "batch_id": "1",
           "agreement_id": "1", "candidate_id": "1", "payment_id": "1",
           "mandate_id": "1", "payee_id": "1", "application_id": "1", "image_id": "1",
           "report_id": "1", "line_no": "1", "seq": "1", "document_id": "1"}
    for path in routes:
        url = re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)
        for token in ("", csrf_token("another-session")):
            response = web.post(url, data={"csrf_token": token, "credential": "other",
                                           "understood": "yes"})
            assert response.status_code == 403, (path, response.status_code)
    assert user_row(db, yamada).state is UserState.ACTIVE
    assert web.get("/banking").status_code == 200
    assert web.get("/api/v1/me", headers={"Authorization": f"Bearer {full}",
                                          "Accept": "application/json"}).status_code == 200


# --- headers --------------------------------------------------------------------------


def test_security_headers_on_every_kind_of_response(web: TestClient) -> None:
    login_yamada(web)
    for path in ("/login", "/login?product=retail-003", "/security/sessions",
                 "/operator/login", "/static/auth.css", "/api/v1/auth/sessions",
                 "/login/change"):
        response = web.get(path)
        headers = response.headers
        assert "script-src 'self'" in headers["content-security-policy"], path
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"]
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["cache-control"] == "no-store"
    cookie = login_yamada(web).headers.get_list("set-cookie")
    session_cookie = next(c for c in cookie if c.startswith(f"{SESSION_COOKIE}="))
    assert "HttpOnly" in session_cookie and "SameSite=lax" in session_cookie
    login_page = web.get("/login", headers={"Cookie": ""})
    nonce_cookie = login_page.headers["set-cookie"]
    assert "HttpOnly" in nonce_cookie and "SameSite=strict" in nonce_cookie
