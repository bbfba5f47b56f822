"""OPS-1: personal operator accounts signing in with password + TOTP, their lockout and
server-side sessions, roles checked by the services, and four eyes on operator changes."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from kinko import clock
from kinko.audit.models import AuditEvent
from kinko.backoffice import approvals, operators
from kinko.backoffice.errors import FourEyesViolation, OperatorNotAllowed
from kinko.backoffice.models import ApprovalState, Operator, OperatorRole, OperatorSession
from kinko.cli import app
from kinko.config import Settings
from kinko.db import Database
from kinko.web.app import create_app
from kinko.web.pages.operator import OPERATOR_COOKIE
from tests.e2e.support import all_routes

HTML = {"Accept": "text/html"}
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST)
runner = CliRunner()


@pytest.fixture(autouse=True)
def _morning() -> None:
    clock.set_now(T0)


@pytest.fixture
def console(db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(db, Settings()), headers=HTML, follow_redirects=False) as c:
        yield c


def _url(db: Database) -> str:
    return db.url.render_as_string(hide_password=False)


def _create(db: Database, code: str, *roles: str) -> tuple[str, str]:
    """`kinko operators create`: returns the printed initial password and TOTP secret."""
    args = ["operators", "create", code, "--name", f"行員 {code}"]
    for role in roles:
        args += ["--role", role]
    result = runner.invoke(app, [*args, "--database-url", _url(db)])
    assert result.exit_code == 0, (result.output, repr(result.exception))
    lines = [line.strip() for line in result.output.splitlines()]
    password = lines[lines.index(next(x for x in lines if x.startswith("初期パスワード"))) + 1]
    secret = next(x for x in lines if x.startswith("secret:")).split()[1]
    uri = next(x for x in lines if x.startswith("otpauth://"))
    assert parse_qs(urlparse(uri).query)["secret"] == [secret]
    return password, secret


def _code(secret: str, at: datetime | None = None) -> str:
    return pyotp.TOTP(secret).at(at or clock.now())


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def _sign_in(console: TestClient, code: str, password: str, otp: str) -> int:
    page = console.get("/operator/login")
    return console.post("/operator/login", data={
        "csrf_token": _csrf(page.text), "code": code, "password": password,
        "otp": otp}).status_code


def _ready(db: Database, console: TestClient, code: str, *roles: str,
           new_password: str = "Console9Ready") -> str:
    """Create, sign in, change the initial password; returns the TOTP secret."""
    password, secret = _create(db, code, *roles)
    assert _sign_in(console, code, password, _code(secret)) == 303
    page = console.get("/operator/password")
    done = console.post("/operator/password", data={
        "csrf_token": _csrf(page.text), "current": password, "new": new_password,
        "again": new_password})
    assert done.status_code == 303, done.text
    return secret


@pytest.mark.req("OPS-1")
@pytest.mark.req("AUTH-10")
def test_first_administrator_signs_in_with_two_factors_and_must_change_the_password(
        db: Database, console: TestClient) -> None:
    password, secret = _create(db, "V100")
    with db.transaction() as s:
        operator = s.execute(select(Operator).where(Operator.code == "V100")).scalar_one()
        assert operator.password_hash is not None
        assert operator.password_hash.startswith("$argon2id$")
        assert operator.totp_seed is not None
        assert base64.b32decode(secret) not in operator.totp_seed   # encrypted at rest
        assert OperatorRole.SUPERVISOR in operators.roles_of(s, operator.id)
        events = s.execute(select(AuditEvent.data)).scalars().all()
    assert not any(password in data or secret in data for data in events)

    assert _sign_in(console, "V100", password, "000000" if _code(secret) != "000000"
                    else "111111") == 401
    assert _sign_in(console, "V100", "Wrong1Password", _code(secret)) == 401
    assert _sign_in(console, "NOBODY", password, _code(secret)) == 401
    assert _sign_in(console, "V100", password, _code(secret)) == 303
    # An initial password reaches only the change page.
    assert console.get("/operator").headers["location"] == "/operator/password"
    assert console.get("/operator/policy").headers["location"] == "/operator/password"
    page = console.get("/operator/password")
    weak = console.post("/operator/password", data={
        "csrf_token": _csrf(page.text), "current": password, "new": "short1",
        "again": "short1"})
    assert weak.status_code == 422
    done = console.post("/operator/password", data={
        "csrf_token": _csrf(page.text), "current": password, "new": "Console9Ready",
        "again": "Console9Ready"})
    assert done.status_code == 303
    assert console.get("/operator").status_code == 200
    with db.transaction() as s:
        actions = s.execute(select(AuditEvent.action).where(
            AuditEvent.subject_type == "operator")).scalars().all()
    assert {"backoffice.operator_login", "backoffice.operator_login_failed",
            "backoffice.password_changed"} <= set(actions)


@pytest.mark.req("OPS-1")
def test_the_command_line_makes_only_the_first_two_supervisors(db: Database) -> None:
    _create(db, "V100")
    _create(db, "V101")
    refused = runner.invoke(app, ["operators", "create", "V102", "--name", "三人目",
                                  "--database-url", _url(db)])
    assert refused.exit_code == 2 and "/operator/operators" in refused.output


@pytest.mark.req("OPS-1")
@pytest.mark.req("AUTH-6")
def test_wrong_passwords_or_codes_lock_the_operator_out_for_the_policy_time(
        db: Database, console: TestClient) -> None:
    secret = _ready(db, console, "V100")
    console.cookies.clear()
    for attempt in range(4):
        clock.set_now(T0 + timedelta(minutes=1, seconds=31 * attempt))
        wrong = ("Wrong1Password", _code(secret)) if attempt % 2 else ("Console9Ready", "123")
        assert _sign_in(console, "V100", *wrong) == 401
    clock.set_now(T0 + timedelta(minutes=4))
    assert _sign_in(console, "V100", "Wrong1Password", _code(secret)) == 423   # the 5th
    clock.set_now(T0 + timedelta(minutes=5))
    assert _sign_in(console, "V100", "Console9Ready", _code(secret)) == 423    # even right
    clock.set_now(T0 + timedelta(minutes=35))                                  # 30 minutes on
    assert _sign_in(console, "V100", "Console9Ready", _code(secret)) == 303
    with db.transaction() as s:
        assert s.execute(select(AuditEvent).where(
            AuditEvent.action == "backoffice.operator_locked")).scalars().first()


@pytest.mark.req("OPS-1")
def test_a_totp_code_is_accepted_once(db: Database, console: TestClient) -> None:
    secret = _ready(db, console, "V100")
    console.cookies.clear()
    clock.set_now(T0 + timedelta(minutes=2))
    code = _code(secret)
    assert _sign_in(console, "V100", "Console9Ready", code) == 303
    console.cookies.clear()
    assert _sign_in(console, "V100", "Console9Ready", code) == 401   # replayed


@pytest.mark.req("OPS-1")
def test_sessions_end_when_idle_at_the_absolute_limit_at_logout_and_at_deactivation(
        db: Database, console: TestClient) -> None:
    _ready(db, console, "V100")
    assert console.get("/operator").status_code == 200
    clock.set_now(T0 + timedelta(minutes=16))          # idle limit 15 minutes
    assert console.get("/operator").status_code == 303

    with db.transaction() as s:
        ids = {o.code: o.id for o in s.execute(select(Operator)).scalars()}
    # Keep a session alive past the absolute limit (9 hours) with a page every 10 minutes.
    with db.transaction() as s:
        from kinko.backoffice import sessions
        token = sessions.start(s, ids["V100"])
    console.cookies.clear()   # the ended session's cookie from the sign-in above
    console.cookies.set(OPERATOR_COOKIE, token)
    started = clock.now()
    for minutes in range(10, 10 * 60, 10):
        clock.set_now(started + timedelta(minutes=minutes))
        if console.get("/operator").status_code != 200:
            break
    assert started + timedelta(hours=9) < clock.now() <= started + timedelta(hours=9, minutes=10)

    clock.set_now(T0 + timedelta(hours=10))
    with db.transaction() as s:
        token = sessions.start(s, ids["V100"])
    console.cookies.set(OPERATOR_COOKIE, token)
    page = console.get("/operator")
    assert page.status_code == 200
    assert console.post("/operator/logout", data={"csrf_token": _csrf(page.text)}
                        ).status_code == 303
    console.cookies.set(OPERATOR_COOKIE, token)          # the old cookie, kept by an attacker
    assert console.get("/operator").status_code == 303

    with db.transaction() as s:
        token = sessions.start(s, ids["V100"])
        operators.deactivate(s, operator_id=ids["V100"], actor="system:test")
    console.cookies.set(OPERATOR_COOKIE, token)
    assert console.get("/operator").status_code == 303
    with db.transaction() as s:
        reasons = set(s.execute(select(OperatorSession.end_reason)).scalars())
    assert {"idle", "absolute", "logout", "deactivated"} <= reasons


@pytest.mark.req("OPS-1")
def test_no_operator_route_answers_without_an_operator_session(
        db: Database, console: TestClient) -> None:
    """Walk every /operator route of the real app, with no session and with a customer's
    cookie: each sends to the sign-in page or refuses, and nothing is written."""
    routes = [(p, m) for p, methods in all_routes(console.app) for m in methods
              if p.startswith("/operator") and p != "/operator/login"]
    assert len(routes) >= 15
    with db.transaction() as s:
        before = s.execute(select(AuditEvent.id)).scalars().all()
    for cookie in (None, "a-customer-session-token"):
        console.cookies.clear()
        if cookie:
            console.cookies.set("kinko_session", cookie)
            console.cookies.set(OPERATOR_COOKIE, "made-up")
        for path, method in routes:
            url = re.sub(r"\{[^}]+\}", "1", path)
            response = console.request(method, url, data={"csrf_token": "x"})
            assert response.status_code in {303, 403}, (method, path, response.status_code)
            if response.status_code == 303:
                assert response.headers["location"] in {"/operator/login"}, (method, path)
    with db.transaction() as s:
        assert s.execute(select(AuditEvent.id)).scalars().all() == before


@pytest.mark.req("OPS-1")
def test_a_teller_cannot_do_a_supervisors_action(db: Database, console: TestClient) -> None:
    _ready(db, console, "T100", "teller")
    page = console.get("/operator/operators")
    asked = console.post("/operator/operators", data={
        "csrf_token": _csrf(page.text), "code": "X100", "name": "新人", "roles": ["auditor"],
        "reason": "配属"})
    assert asked.status_code == 403 and "OPS_NOT_ALLOWED" not in asked.text
    with db.transaction() as s:
        teller = operators.operator_by_code(s, "T100")
        assert teller is not None
        assert approvals.pending(s) == []
        assert operators.operator_by_code(s, "X100") is None
    # The service refuses it whatever page or command calls it.
    with pytest.raises(OperatorNotAllowed):
        db.run(approvals.request, action="backoffice.grant_role", subject_type="operator",
               subject_id=teller.id, payload={"operator_id": teller.id, "role": "supervisor"},
               reason="昇格", requested_by=teller.id)


@pytest.mark.req("OPS-1")
def test_a_new_operator_needs_a_second_supervisor_and_the_maker_cannot_approve(
        db: Database) -> None:
    with db.transaction() as s:
        v1 = operators.create_operator(s, code="V100", name="監督一", actor="system:test",
                                       roles=[OperatorRole.SUPERVISOR]).id
        v2 = operators.create_operator(s, code="V101", name="監督二", actor="system:test",
                                       roles=[OperatorRole.SUPERVISOR]).id
    request_id = db.run(lambda s: approvals.request(
        s, action="backoffice.create_operator", subject_type="operator", subject_id="K100",
        payload={"code": "K100", "name": "審査 花子", "roles": ["kyc_reviewer"]},
        reason="配属", requested_by=v1).id)
    with pytest.raises(FourEyesViolation):
        db.run(approvals.approve, request_id=request_id, approver_id=v1)
    decision = db.run(approvals.approve, request_id=request_id, approver_id=v2)
    assert decision.state is ApprovalState.EXECUTED
    assert isinstance(decision.output, operators.InitialCredentials)
    with db.transaction() as s:
        created = operators.operator_by_code(s, "K100")
        assert created is not None and created.must_change_password
        assert operators.roles_of(s, created.id) == {OperatorRole.KYC_REVIEWER}
    # Nobody asks for or approves a change to their own roles.
    with pytest.raises(FourEyesViolation):
        db.run(approvals.request, action="backoffice.grant_role", subject_type="operator",
               subject_id=v1, payload={"operator_id": v1, "role": "policy_admin"},
               reason="自分に", requested_by=v1)
    grant = db.run(lambda s: approvals.request(
        s, action="backoffice.grant_role", subject_type="operator", subject_id=v2,
        payload={"operator_id": v2, "role": "policy_admin"}, reason="兼務",
        requested_by=v1).id)
    with pytest.raises(FourEyesViolation):
        db.run(approvals.approve, request_id=grant, approver_id=v2)


@pytest.mark.req("OPS-1")
def test_the_console_asks_and_a_second_supervisor_approves_a_new_operator(
        db: Database, console: TestClient) -> None:
    _ready(db, console, "V100")
    page = console.get("/operator/operators")
    asked = console.post("/operator/operators", data={
        "csrf_token": _csrf(page.text), "code": "A100", "name": "監査 一郎",
        "roles": ["auditor"], "reason": "監査部配属"})
    assert asked.status_code == 200 and 'id="operator-done"' in asked.text
    console.cookies.clear()
    _ready(db, console, "V101")
    home = console.get("/operator")
    request_id = re.search(r'action="/operator/requests/(\d+)/approve"', home.text)
    assert request_id
    shown = console.post(f"/operator/requests/{request_id.group(1)}/approve",
                         data={"csrf_token": _csrf(home.text)})
    assert shown.status_code == 200 and 'id="initial-credentials"' in shown.text
    password = re.search(r'id="initial-password">([^<]+)<', shown.text)
    secret = re.search(r'id="initial-totp-secret">([^<]+)<', shown.text)
    assert password and secret
    assert password.group(1) not in console.get("/operator").text   # shown once
    console.cookies.clear()
    assert _sign_in(console, "A100", password.group(1), _code(secret.group(1))) == 303
    assert console.get("/operator").headers["location"] == "/operator/password"
