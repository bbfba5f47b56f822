"""Courses, services and grants (PRD-2, PRD-3, PRD-4, CRED-3) over real HTTP: every corporate
route walked for each course and for a general user without grants."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from kinko import clock
from kinko.auth.models import Course
from kinko.config import Settings
from kinko.corporate import entitlements, rules
from kinko.corporate import service as corporate
from kinko.corporate.errors import ServiceNotInContract, UsageAccountRefused
from kinko.corporate.rules import Service
from kinko.db import Database
from kinko.web.app import create_app
from tests import factories
from tests.corporate import builders

# Each route of the retail menu and of the business net with the service it needs ("" =
# retail only, refused to every corporate course).
ROUTES: list[tuple[str, str, str, dict[str, object] | None]] = [
    ("A", "GET", "/api/v1/accounts", None),
    ("B", "GET", "/api/v1/accounts/{rep}/statement", None),
    ("B", "GET", "/api/v1/accounts/{rep}/statement.csv", None),
    ("C", "GET", "/api/v1/accounts/{rep}/incoming", None),
    ("D", "GET", "/api/v1/payees", None),
    ("D", "POST", "/api/v1/transfers", {"from_account_id": "{rep}", "amount": 1000,
                                        "bank_code": "0999", "branch_code": "001",
                                        "account_type": "ordinary", "number": "0000001"}),
    ("E", "POST", "/api/v1/payeasy/payments", {"from_account_id": "{rep}",
                                               "agency_code": "12345",
                                               "customer_number": "1", "confirmation_number": "1"}),
    ("D", "GET", "/api/v1/corporate/transfer-approvals", None),
    ("D", "GET", "/corporate/transfer-approvals", None),
    ("H", "GET", "/api/v1/corporate/bulk", None),
    ("H", "GET", "/corporate/payees", None),
    ("H", "GET", "/corporate/bulk-typed", None),
    ("H", "POST", "/api/v1/corporate/bulk", {"kind": "bulk", "value_date": "2026-11-24",
                                             "payees": [{"bank_code": "0999",
                                                         "branch_code": "001",
                                                         "account_number": "0000001",
                                                         "payee_kana": "ﾀﾛｳ",
                                                         "amount": 1000}]}),
    ("I", "POST", "/api/v1/corporate/bulk", {"kind": "payroll", "value_date": "2026-11-24",
                                             "payees": [{"bank_code": "0999",
                                                         "branch_code": "001",
                                                         "account_number": "0000001",
                                                         "payee_kana": "ﾀﾛｳ",
                                                         "amount": 1000}]}),
    ("", "GET", "/api/v1/time-deposits", None),
    ("", "GET", "/api/v1/debit-cards", None),
]
REFUSALS = {"CORP_SERVICE_NOT_IN_CONTRACT", "CORP_SERVICE_NOT_GRANTED",
            "CORP_ACCOUNT_NOT_GRANTED", "CORP_TOKEN_REQUIRED"}


@pytest.fixture
def app(db: Database) -> Iterator[TestClient]:
    clock.set_now(datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST))
    with TestClient(create_app(db, Settings())) as client:
        yield client


def _call(client: TestClient, corp: builders.Corp, who: str, method: str, path: str,
          body: dict[str, object] | None) -> tuple[int, str]:
    path = path.format(rep=corp.representative)
    if body is not None:
        body = {k: (corp.representative if v == "{rep}" else v) for k, v in body.items()}
    r = client.request(method, path, json=body,
                       headers={"Authorization": f"Bearer {corp.tokens[who]}",
                                "Idempotency-Key": f"k-{method}-{path}-{who}"})
    code = r.json().get("code", "") if r.headers.get("content-type", "").startswith(
        "application/problem+json") else ""
    return r.status_code, code


@pytest.mark.req("PRD-2")
@pytest.mark.parametrize("course", list(Course))
def test_every_route_follows_the_course(db: Database, app: TestClient, course: Course) -> None:
    corp = db.run(lambda s: builders.contract(s, course=course))
    included = rules.COURSE_SERVICES[course.value]
    for letter, method, path, body in ROUTES:
        status, code = _call(app, corp, "master", method, path, body)
        allowed = bool(letter) and Service(letter) in included
        if allowed:
            assert code not in REFUSALS, (course, path, status, code)
        else:
            assert (status, code) == (403, "CORP_SERVICE_NOT_IN_CONTRACT"), (course, path)


@pytest.mark.req("PRD-4")
def test_a_general_user_gets_403_on_everything_not_granted(db: Database, app: TestClient
                                                           ) -> None:
    corp = db.run(builders.contract)
    for _letter, method, path, body in ROUTES:
        status, code = _call(app, corp, "general", method, path, body)
        assert status == 403 and code in REFUSALS, (path, status, code)
    for method, path in (("GET", "/api/v1/corporate/users"),
                         ("POST", f"/api/v1/corporate/users/{corp.users['admin']}/suspend"),
                         ("PUT", "/api/v1/corporate/approval-modes/bulk")):
        r = app.request(method, path, json={"mode": "double"},
                        headers={"Authorization": f"Bearer {corp.tokens['general']}"})
        assert (r.status_code, r.json()["code"]) == (403, "CORP_MANAGER_ONLY"), path
    # Granted balance on the second account only: it sees that account and nothing else.
    db.run(lambda s: builders.grant(s, corp, "general", "A", [corp.second]))
    shown = app.get("/api/v1/accounts",
                    headers={"Authorization": f"Bearer {corp.tokens['general']}"}).json()
    assert [a["account_id"] for a in shown["accounts"]] == [corp.second]
    assert _call(app, corp, "general", "GET", "/api/v1/accounts/{rep}/statement",
                 None) == (403, "CORP_SERVICE_NOT_GRANTED")
    db.run(lambda s: builders.grant(s, corp, "general", "AB", [corp.second]))
    assert _call(app, corp, "general", "GET", "/api/v1/accounts/{rep}/statement",
                 None) == (403, "CORP_ACCOUNT_NOT_GRANTED")


@pytest.mark.req("PRD-3")
def test_balances_show_only_usage_accounts_and_usage_accounts_are_the_contractors(
        db: Database, app: TestClient) -> None:
    corp = db.run(builders.contract)

    def extra_accounts(s: object) -> tuple[int, int]:
        own = builders._own_account(s, corp.customer_id, balance=5,  # type: ignore[arg-type]
                                    holder="ｶ)ｷﾝｺｼﾖｳｼﾞ")
        other = factories.account(s, balance=5)  # type: ignore[arg-type]
        return own, other

    own_unregistered, someone_elses = db.run(extra_accounts)
    shown = app.get("/api/v1/accounts",
                    headers={"Authorization": f"Bearer {corp.tokens['master']}"}).json()
    assert {a["account_id"] for a in shown["accounts"]} == {corp.representative, corp.second}
    with pytest.raises(UsageAccountRefused):
        db.run(lambda s: corporate.register_usage_account(
            s, contract_id=corp.contract_id, account_id=someone_elses, actor="test"))
    db.run(lambda s: corporate.register_usage_account(
        s, contract_id=corp.contract_id, account_id=own_unregistered, actor="test"))
    shown = app.get("/api/v1/accounts",
                    headers={"Authorization": f"Bearer {corp.tokens['master']}"}).json()
    assert own_unregistered in {a["account_id"] for a in shown["accounts"]}


@pytest.mark.req("PRD-2")
def test_densai_and_fx_need_their_own_application(db: Database) -> None:
    corp = db.run(builders.contract)
    for service in (Service.DENSAI, Service.FX):
        with pytest.raises(ServiceNotInContract):
            db.run(lambda s: entitlements.require_service(
                s, corp.contract_id, service, user=corp.users["master"]))  # noqa: B023
        db.run(lambda s: corporate.apply_for(s, contract_id=corp.contract_id,
                                             service=service,  # noqa: B023
                                             actor="operator:1"))
        db.run(lambda s: entitlements.require_service(
            s, corp.contract_id, service, user=corp.users["master"]))  # noqa: B023
    # Whole course or nothing: Light never has bulk transfer, whatever is granted.
    assert Service.BULK not in rules.contract_services("light", list(Service))


@pytest.mark.req("CRED-3")
def test_basic_users_register_a_token_before_transacting_light_uses_none(
        db: Database, app: TestClient) -> None:
    basic = db.run(lambda s: builders.contract(s, course=Course.BASIC, with_tokens=False))
    assert _call(app, basic, "master", *ROUTES[5][1:]) == (403, "CORP_TOKEN_REQUIRED")
    assert ROUTES[5][2] == "/api/v1/transfers"
    assert _call(app, basic, "master", "GET", "/api/v1/accounts", None)[1] == ""
    light = db.run(lambda s: builders.contract(s, course=Course.LIGHT))
    assert rules.needs_token("light", Service.TRANSFER) is False
    assert _call(app, light, "master", "GET", "/api/v1/accounts", None)[1] == ""


@pytest.mark.req("PRD-4")
def test_master_creates_grants_limits_and_suspends_users(db: Database, app: TestClient) -> None:
    corp = db.run(builders.contract)
    master = {"Authorization": f"Bearer {corp.tokens['master']}"}
    made = app.post("/api/v1/corporate/users", headers=master, json={
        "role": "general", "login_id": "tanaka01", "temporary_login_password": "Kari5Login",
        "temporary_confirmation_password": "Kari6Kaku", "services": "ABD",
        "per_transaction_limit": 50_000, "daily_limit": 100_000,
        "account_ids": [corp.representative]})
    assert made.status_code == 201, made.text
    assert made.json()["services"] == "ABD" and made.json()["daily_limit"] == 100_000
    # Services outside the contract cannot be granted.
    bad = app.put(f"/api/v1/corporate/users/{made.json()['id']}/grants", headers=master,
                  json={"services": "ABF", "account_ids": []})
    assert bad.status_code == 422
    general = {"Authorization": f"Bearer {corp.tokens['general']}"}
    assert app.get("/api/v1/corporate/me", headers=general).json()["services"] == ""
    r = app.post(f"/api/v1/corporate/users/{corp.users['general']}/suspend", headers=master)
    assert r.json()["state"] == "suspended"
    assert app.get("/api/v1/corporate/me", headers=general).status_code == 401
    users = app.get("/api/v1/corporate/users", headers=master).json()["users"]
    assert {u["role"] for u in users} == {"master", "admin", "general"}


@pytest.mark.req("BULK-1")
def test_the_payee_master_checks_codes_and_kana_names(db: Database, app: TestClient) -> None:
    corp = db.run(builders.contract)
    master = {"Authorization": f"Bearer {corp.tokens['master']}"}
    good = {"bank_code": "0001", "branch_code": "001", "account_number": "1234567",
            "payee_kana": "ｶ)ﾄﾘﾋｷｻｷ"}
    assert app.post("/api/v1/corporate/bulk-payees", headers=master, json=good
                    ).status_code == 201
    unknown = app.post("/api/v1/corporate/bulk-payees", headers=master,
                       json=good | {"bank_code": "0002"})
    assert unknown.status_code == 422 and unknown.json()["problems"][0]["field"] == "bank_code"
    kanji = app.post("/api/v1/corporate/bulk-payees", headers=master,
                     json=good | {"account_number": "7654321", "payee_kana": "取引先"})
    assert kanji.json()["problems"][0]["field"] == "payee_kana"
    listed = app.get("/api/v1/corporate/bulk-payees", headers=master).json()["payees"]
    assert [p["payee_kana"] for p in listed] == ["ｶ)ﾄﾘﾋｷｻｷ"]
    general = {"Authorization": f"Bearer {corp.tokens['general']}"}
    assert app.get("/api/v1/corporate/bulk-payees", headers=general).status_code == 403


@pytest.mark.req("NOTIF-1")
def test_setting_changes_are_mailed_to_the_user_concerned(db: Database) -> None:
    import json

    from sqlalchemy import select

    from kinko.outbox.models import OutboxMessage

    corp = db.run(builders.contract)

    def mails(s: object) -> list[str]:
        rows = s.execute(select(OutboxMessage.payload).where(  # type: ignore[attr-defined]
            OutboxMessage.topic == "email.send")).scalars()
        return [p["template"] for p in map(json.loads, rows)
                if p["user_id"] == corp.users["general"]]

    before = db.run(mails).count("auth.settings_changed")
    db.run(lambda s: builders.grant(s, corp, "general", "A", [corp.representative]))
    db.run(lambda s: corporate.suspend_user(s, corp.actor("master"), corp.users["general"]))
    assert db.run(mails).count("auth.settings_changed") == before + 2
