"""The portal's payee master page, the hand-typed bulk form (BULK-1) and the token
application page (CRED-2, CRED-3) over real HTTP with the session cookie; the token
application carried out through the operators' four-eyes approval (OPS-1)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kinko import clock
from kinko.auth import repository as auth_repo
from kinko.auth.models import AuthContract, TokenKind
from kinko.backoffice.models import OperatorRole
from kinko.backoffice.operators import create_operator
from kinko.bulk.models import BulkPayee, BulkRequest
from kinko.config import Settings
from kinko.corporate.models import TokenApplication
from kinko.db import Database
from kinko.web.app import create_app
from kinko.web.auth import SESSION_COOKIE, csrf_token
from tests.corporate import builders
from tests.corporate.bulkkit import FRIDAY, OWN, own_payees
from tests.operator_login import sign_in_operator

HTML = {"Accept": "text/html"}


@pytest.fixture
def app(db: Database) -> Iterator[TestClient]:
    clock.set_now(FRIDAY)
    with TestClient(create_app(db, Settings())) as client:
        yield client


def _as(app: TestClient, corp: builders.Corp, who: str) -> str:
    app.cookies.set(SESSION_COOKIE, corp.tokens[who])
    return csrf_token(corp.tokens[who])


def _payee_form(csrf: str, branch: str, number: str, name: str, **extra: str) -> dict[str, str]:
    return {"csrf_token": csrf, "kind": "bulk", "bank_code": OWN, "branch_code": branch,
            "account_type": "1", "account_number": number, "payee_kana": name} | extra


@pytest.mark.req("BULK-1")
def test_the_payee_master_page_lists_adds_changes_and_deletes(db: Database,
                                                              app: TestClient) -> None:
    corp = db.run(builders.contract)
    db.run(lambda s: builders.grant(s, corp, "general", "H", [corp.representative]))
    own = db.run(lambda s: own_payees(s, 2))
    csrf = _as(app, corp, "general")
    page = app.get("/corporate/payees", headers=HTML)
    assert page.status_code == 200 and "振込先マスタ" in page.text
    assert "Payee master" in app.get("/corporate/payees?lang=en", headers=HTML).text
    # A name outside the kana class and a branch not in the list: the page names the field.
    bad = app.post("/corporate/payees", headers=HTML,
                   data=_payee_form(csrf, own[0][0], own[0][1], "山田"))
    assert bad.status_code == 422 and "payee_kana" in bad.text
    unknown = app.post("/corporate/payees", headers=HTML,
                       data=_payee_form(csrf, "998", own[0][1], "ﾄﾘﾋｷｻｷ"))
    assert unknown.status_code == 422 and "branch_code" in unknown.text
    assert db.run(lambda s: s.execute(select(BulkPayee)).first()) is None
    made = app.post("/corporate/payees", headers=HTML, follow_redirects=False,
                    data=_payee_form(csrf, own[0][0], own[0][1], "ﾄﾘﾋｷｻｷ A", edi="INV1"))
    assert made.status_code == 303
    payee_id = db.run(lambda s: s.execute(select(BulkPayee.id)).scalar_one())
    assert f"payee-{payee_id}" in app.get("/corporate/payees", headers=HTML).text
    changed = app.post(f"/corporate/payees/{payee_id}", headers=HTML, follow_redirects=False,
                       data=_payee_form(csrf, own[1][0], own[1][1], "ﾄﾘﾋｷｻｷ B"))
    assert changed.status_code == 303
    row = db.run(lambda s: s.get(BulkPayee, payee_id))
    assert (row.account_number, row.payee_kana) == (own[1][1], "ﾄﾘﾋｷｻｷ B")
    refused = app.post(f"/corporate/payees/{payee_id}", headers=HTML,
                       data=_payee_form(csrf, own[1][0], own[1][1], "bad name!"))
    assert refused.status_code == 422
    assert db.run(lambda s: s.get(BulkPayee, payee_id).payee_kana) == "ﾄﾘﾋｷｻｷ B"
    # Over the API too, then deleted from the page.
    api = app.put(f"/api/v1/corporate/bulk-payees/{payee_id}",
                  headers={"X-CSRF-Token": csrf},
                  json={"bank_code": OWN, "branch_code": own[0][0], "account_type": "1",
                        "account_number": own[0][1], "payee_kana": "ﾄﾘﾋｷｻｷ C"})
    assert api.status_code == 200, api.text
    gone = app.post(f"/corporate/payees/{payee_id}/delete", headers=HTML,
                    data={"csrf_token": csrf, "kind": "bulk"}, follow_redirects=False)
    assert gone.status_code == 303
    assert db.run(lambda s: s.get(BulkPayee, payee_id)) is None
    # A user without the bulk service gets 403.
    _as(app, corp, "admin")
    db.run(lambda s: builders.grant(s, corp, "general", "A", [corp.representative]))
    _as(app, corp, "general")
    assert app.get("/corporate/payees", headers=HTML).status_code == 403


def _typed(csrf: str, rows: list[tuple[str, str, str, str]], **extra: Any) -> dict[str, Any]:
    blank = ("", "", "", "")
    rows = rows + [blank] * (3 - len(rows))
    return {"csrf_token": csrf, "kind": "bulk", "value_date": "2026-11-24",
            "bank_code": [OWN if r[0] else "" for r in rows],
            "branch_code": [r[0] for r in rows], "account_type": ["1"] * len(rows),
            "account_number": [r[1] for r in rows], "payee_kana": [r[2] for r in rows],
            "amount": [r[3] for r in rows], "edi": [""] * len(rows)} | extra


@pytest.mark.req("BULK-1")
def test_a_bulk_request_by_form_with_payees_typed_in_and_from_the_master(
        db: Database, app: TestClient) -> None:
    corp = db.run(builders.contract)
    db.run(lambda s: builders.grant(s, corp, "general", "H", [corp.representative]))
    own = db.run(lambda s: own_payees(s, 3))
    csrf = _as(app, corp, "general")
    assert app.get("/corporate/bulk-typed", headers=HTML).status_code == 200
    app.post("/corporate/payees", headers=HTML,
             data=_payee_form(csrf, own[2][0], own[2][1], "ﾏｽﾀ ﾀﾛｳ"))
    master_id = db.run(lambda s: s.execute(select(BulkPayee.id)).scalar_one())
    # Row 2 has a kanji name and row 3 a bad amount: both named by their row; nothing kept.
    bad = app.post("/corporate/bulk-typed", headers=HTML, data=_typed(csrf, [
        (own[0][0], own[0][1], "ﾄﾘﾋｷｻｷ A", "1000"),
        (own[1][0], own[1][1], "山田", "2000"),
        (own[1][0], own[1][1], "ﾄﾘﾋｷｻｷ B", "12x")]))
    assert bad.status_code == 422, bad.text
    lines = re.findall(r'<td class="line">(\d+)</td><td>(\w+)</td>', bad.text)
    # The field is named in the page's language (Japanese here), never by its code.
    assert ("2", "受取人名") in lines and ("3", "金額") in lines
    assert 'value="ﾄﾘﾋｷｻｷ A"' in bad.text                # what was typed is kept
    assert db.run(lambda s: s.execute(select(BulkRequest)).first()) is None
    # A closed value date is refused with a message, nothing kept.
    closed = app.post("/corporate/bulk-typed", headers=HTML, data=_typed(
        csrf, [(own[0][0], own[0][1], "ﾄﾘﾋｷｻｷ A", "1000")], value_date="2026-11-23"))
    assert closed.status_code == 422
    made = app.post("/corporate/bulk-typed", headers=HTML, follow_redirects=False,
                    data=_typed(csrf, [(own[0][0], own[0][1], "ﾄﾘﾋｷｻｷ A", "1,000"),
                                       (own[1][0], own[1][1], "ﾄﾘﾋｷｻｷ B", "2000")],
                                master_id=[str(master_id)], master_amount=["3000"]))
    assert made.status_code == 303, made.text
    req = db.run(lambda s: s.execute(select(BulkRequest)).scalar_one())
    assert (req.source, req.count, req.total, req.state.value) == ("form", 3, 6_000,
                                                                   "pending")
    assert made.headers["location"] == f"/corporate/bulk/{req.id}"


@pytest.mark.req("CRED-2")
@pytest.mark.req("CRED-3")
def test_a_token_switch_is_applied_for_and_carried_out_with_four_eyes(
        db: Database, app: TestClient) -> None:
    corp = db.run(builders.contract)
    csrf = _as(app, corp, "general")
    page = app.get("/corporate/tokens", headers=HTML)
    assert page.status_code == 200 and "ハードトークン" in page.text
    # Switching the contract's tokens is for the master or an admin user.
    refused = app.post("/corporate/tokens", headers=HTML,
                       data={"csrf_token": csrf, "kind": "to_soft"})
    assert refused.status_code == 403
    # A user without a phone has nothing to deregister.
    assert app.post("/corporate/tokens", headers=HTML,
                    data={"csrf_token": csrf, "kind": "deregister_phone"}).status_code == 422
    csrf = _as(app, corp, "admin")
    same = app.post("/corporate/tokens", headers=HTML, data={"csrf_token": csrf,
                                                             "kind": "to_hard"})
    assert same.status_code == 422                   # hard tokens already
    applied = app.post("/corporate/tokens", headers=HTML, follow_redirects=False,
                       data={"csrf_token": csrf, "kind": "to_soft", "note": "スマホへ"})
    assert applied.status_code == 303
    twice = app.post("/api/v1/corporate/token-applications", headers={"X-CSRF-Token": csrf},
                     json={"kind": "to_soft"})
    assert twice.status_code == 422                  # the same application is pending
    [listed] = app.get("/api/v1/corporate/token-applications").json()["applications"]
    assert listed["state"] == "pending"
    # Nothing changed yet: tokens still hard and active.
    assert db.run(lambda s: s.get(AuthContract, corp.contract_id).token_kind) is TokenKind.HARD
    # The bank: a teller asks from the applications queue, a security officer approves.
    with db.transaction() as s:
        create_operator(s, code="T1", name="窓口", roles=[OperatorRole.TELLER], actor="test")
        create_operator(s, code="S1", name="審査", roles=[OperatorRole.SECURITY], actor="test")
    ops = TestClient(app.app)
    assert ops.get("/operator/corporate/token-applications", follow_redirects=False
                   ).status_code == 303                    # operators only
    ops_csrf = sign_in_operator(ops, "T1", db=db)
    queue = ops.get("/operator/corporate/token-applications")
    assert queue.status_code == 200 and f"K{listed['id']:010d}" in queue.text
    asked = ops.post("/operator/requests", follow_redirects=False, data={
        "csrf_token": ops_csrf, "action": "corporate.token_application",
        "target_id": str(listed["id"]), "reason": "書面受付"})
    assert asked.status_code == 303, asked.text
    request_id = int(asked.headers["location"].rsplit("-", 1)[1])
    assert db.run(lambda s: s.get(AuthContract, corp.contract_id).token_kind) is TokenKind.HARD
    ops_csrf = sign_in_operator(ops, "S1", db=db)
    approved = ops.post(f"/operator/requests/{request_id}/approve", follow_redirects=False,
                        data={"csrf_token": ops_csrf})
    assert approved.status_code in (200, 303), approved.text

    def after(s: Any) -> tuple[Any, Any, Any]:
        return (s.get(AuthContract, corp.contract_id).token_kind,
                s.get(TokenApplication, listed["id"]).state,
                auth_repo.active_token(s, corp.users["general"]))
    kind, state, token = db.run(after)
    # CRED-3: every user's hard token ended; each registers a soft token before transacting.
    assert (kind, state, token) == (TokenKind.SOFT, "done", None)
    assert "手続き完了" in app.get("/corporate/tokens", headers=HTML).text
