"""Approvals of business-net single transfers (APR-1, AUTH-12) through the real app: the
maker's confirmed transfer waits; the maker never approves; double approval needs two
different approvers; an edit voids approvals; with smartphone authentication one approval
is signed on the phone over the exact details; approvals that miss the cutoff expire; two
approvers at once give one execution; every step is audited."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kinko import clock
from kinko.audit.models import AuditEvent
from kinko.auth import otp
from kinko.auth import repository as auth_repo
from kinko.batch.service import run_due
from kinko.config import Settings
from kinko.corporate import service as corporate
from kinko.db import Database
from kinko.instructions.models import Instruction
from kinko.instructions.service import StepUpProof
from kinko.ledger.models import Account
from kinko.transfers import service as transfers
from kinko.web.app import create_app
from tests import factories
from tests.corporate import builders
from tests.corporate.test_phone_approval import register_phone

FRIDAY = datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST)
CONFIRMATION = {"master": "Kari2Kaku", "admin": "Kari4Kaku", "general": "Kari4Kaku"}


@pytest.fixture
def app(db: Database) -> Iterator[TestClient]:
    clock.set_now(FRIDAY)
    with TestClient(create_app(db, Settings())) as client:
        yield client


def _h(corp: builders.Corp, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {corp.tokens[who]}"}


def _setup(db: Database, mode: str, *, smartphone: bool = False
           ) -> tuple[builders.Corp, tuple[str, str, int]]:
    corp = db.run(lambda s: builders.contract(s, smartphone_auth=smartphone))
    db.run(lambda s: builders.grant(s, corp, "general", "D", [corp.representative]))
    db.run(lambda s: corporate.set_approval_mode(s, corp.actor("master"), kind="transfer",
                                                 mode=mode))

    def payee(s: Any) -> tuple[str, str, int]:
        acc = s.get(Account, factories.account(s, holder="ﾄﾘﾋｷｻｷ"))
        return acc.branch_code, acc.number, acc.id
    return corp, db.run(payee)


def _make(db: Database, corp: builders.Corp, payee: tuple[str, str, int], *,
          amount: int = 30_000, key: str = "t1", value_date: Any = None,
          waits: bool = True) -> int:
    """The general user enters and confirms (with its step-up) a transfer."""
    actor = corp.actor("general")
    quote = db.run(lambda s: transfers.enter(
        s, actor, key=key, from_account_id=corp.representative, amount=amount,
        bank_code="0999", branch_code=payee[0], account_type="ordinary", number=payee[1],
        value_date=value_date))
    done = db.run(lambda s: transfers.confirm(s, actor, quote.instruction.id, StepUpProof(
        actor.user_id, quote.instruction.digest, clock.now())))
    assert done.status.value == ("accepted" if waits else "executed")
    return quote.instruction.id


def _balance(db: Database, account_id: int) -> int:
    return db.run(lambda s: s.get(Account, account_id).balance)


def _status(db: Database, instruction_id: int) -> str:
    return db.run(lambda s: s.get(Instruction, instruction_id).status.value)


def _approve_pc(app: TestClient, db: Database, corp: builders.Corp, who: str,
                instruction_id: int) -> Any:
    """An approval from the PC over HTTP: the step-up (confirmation password and OTP)
    bound to the digest shown. The clock moves on a step so each OTP code is a new one."""
    clock.set_now(clock.now() + timedelta(seconds=31))
    shown = app.get(f"/api/v1/corporate/transfer-approvals/{instruction_id}",
                    headers=_h(corp, who))
    assert shown.status_code == 200, shown.text
    plan = app.post(f"/api/v1/corporate/transfer-approvals/{instruction_id}/approval",
                    headers=_h(corp, who))
    assert plan.status_code == 200, plan.text
    answers: dict[str, Any] = {"digest": shown.json()["digest"]}
    if "confirmation_password" in plan.json()["factors"]:
        answers["confirmation_password"] = CONFIRMATION[who]
    if "otp" in plan.json()["factors"]:
        def code(s: Any) -> str:
            token = auth_repo.active_token(s, corp.users[who])
            return otp.code_at(token, clock.now())
        answers["otp_code"] = db.run(code)
    r = app.post(f"/api/v1/corporate/transfer-approvals/{instruction_id}/approve",
                 headers=_h(corp, who), json=answers)
    if "session_token" in r.json():
        corp.tokens[who] = r.json()["session_token"]
    return r


@pytest.mark.req("APR-1")
def test_single_approval_waits_then_runs_and_the_maker_cannot_approve(
        db: Database, app: TestClient) -> None:
    corp, payee = _setup(db, "single")
    before = _balance(db, corp.representative)
    tid = _make(db, corp, payee)
    # Confirmed with its step-up, but nothing moved: it waits for the approval.
    assert _balance(db, payee[2]) == 0 and _balance(db, corp.representative) == before
    listed = app.get("/api/v1/corporate/transfer-approvals", headers=_h(corp, "admin")).json()
    [row] = listed["transfers"]
    assert row["state"] == "waiting" and row["can_approve"] is True
    assert row["signed_details"]["amount"] == 30_000
    assert row["signed_details"]["payee"]["number"] == payee[1]

    refused = _approve_pc(app, db, corp, "general", tid)      # the maker
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "CORP_TRANSFER_APPROVAL_REFUSED"
    assert _balance(db, payee[2]) == 0

    done = _approve_pc(app, db, corp, "admin", tid)
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "approved"
    assert done.json()["approvals"] == [{"step": "single", "user_id": corp.users["admin"],
                                         "via_phone": False}]
    # A same-day transfer runs at the last approval.
    assert _status(db, tid) == "executed" and _balance(db, payee[2]) == 30_000
    actions = db.run(lambda s: list(s.execute(select(AuditEvent.action).where(
        AuditEvent.subject_type == "instruction",
        AuditEvent.subject_id == str(tid))).scalars()))
    assert {"corporate.transfer_waiting", "corporate.transfer_approval",
            "corporate.transfer_approved", "transfer.executed"} <= set(actions)


@pytest.mark.req("APR-1")
def test_double_approval_needs_two_different_approvers_and_an_edit_voids_them(
        db: Database, app: TestClient) -> None:
    corp, payee = _setup(db, "double")
    tid = _make(db, corp, payee)
    first = _approve_pc(app, db, corp, "admin", tid)
    assert first.status_code == 200 and first.json()["state"] == "waiting"
    assert first.json()["next_step"] == "final"
    again = _approve_pc(app, db, corp, "admin", tid)          # the same approver twice
    assert again.status_code == 403
    # The maker changes the amount: a new version; the first approval no longer counts.
    edited = app.patch(f"/api/v1/corporate/transfer-approvals/{tid}",
                       headers=_h(corp, "general"), json={"amount": 25_000})
    assert edited.status_code == 200, edited.text
    assert edited.json()["version"] == 2 and edited.json()["approvals"] == []
    assert edited.json()["digest"] != first.json()["digest"]
    # An approval over the old digest is stale.
    stale = app.post(f"/api/v1/corporate/transfer-approvals/{tid}/approve",
                     headers=_h(corp, "master"), json={"digest": first.json()["digest"],
                                                       "confirmation_password": "x"})
    assert stale.status_code in (401, 403, 409, 422)
    assert _approve_pc(app, db, corp, "master", tid).json()["next_step"] == "final"
    final = _approve_pc(app, db, corp, "admin", tid)
    assert final.status_code == 200, final.text
    assert [a["step"] for a in final.json()["approvals"]] == ["first", "final"]
    assert _status(db, tid) == "executed" and _balance(db, payee[2]) == 25_000


@pytest.mark.req("APR-1")
@pytest.mark.req("AUTH-12")
def test_with_smartphone_authentication_one_approval_is_signed_on_the_phone(
        db: Database, app: TestClient) -> None:
    corp, payee = _setup(db, "single", smartphone=True)
    tid = _make(db, corp, payee)
    pc = _approve_pc(app, db, corp, "admin", tid)
    assert pc.status_code == 403, pc.text                    # the PC alone is not enough
    phone = register_phone(app, corp, "admin")
    opened = app.post(f"/api/v1/corporate/transfer-approvals/{tid}/phone-approval",
                      headers=_h(corp, "admin")).json()
    shown = app.get(f"/api/v1/corporate/transfer-approvals/{tid}",
                    headers=_h(corp, "admin")).json()
    [on_phone] = app.get("/api/v1/corporate/phone/approvals",
                         headers=_h(corp, "admin")).json()["approvals"]
    # The phone shows exactly what is approved: payee, amount, fee, value date.
    assert on_phone["details"] == shown["signed_details"]
    signed = app.post(f"/api/v1/corporate/phone/approvals/{on_phone['approval_id']}",
                      headers=_h(corp, "admin"),
                      json={"credential": phone.assert_(on_phone["options"])})
    assert signed.status_code == 200, signed.text
    done = app.post(f"/api/v1/corporate/transfer-approvals/{tid}/approve",
                    headers=_h(corp, "admin"),
                    json={"digest": shown["digest"],
                          "phone_approval_id": opened["phone_approval_id"]})
    assert done.status_code == 200, done.text
    assert done.json()["approvals"][0]["via_phone"] is True
    assert _balance(db, payee[2]) == 30_000


@pytest.mark.req("APR-1")
def test_approvals_that_miss_the_cutoff_expire_and_give_the_limits_back(
        db: Database, app: TestClient) -> None:
    corp, payee = _setup(db, "single")
    tid = _make(db, corp, payee)
    # Past the same-day cutoff (15:00) the expiry job makes it not established.
    late = datetime(2026, 11, 20, 15, 1, tzinfo=clock.JST)
    clock.set_now(late)
    run_due(db, at=late)
    assert _status(db, tid) == "not_established"
    from kinko.corporate.models import TransferApproval

    assert db.run(lambda s: s.get(TransferApproval, tid).state) == "expired"
    assert _balance(db, payee[2]) == 0
    # The day's limit is free again: the same amount can be entered and confirmed.
    clock.set_now(FRIDAY)
    assert _make(db, corp, payee, key="t2") != tid


@pytest.mark.req("APR-1")
def test_a_future_dated_transfer_runs_on_its_value_date_once_even_if_approved_twice(
        db: Database, app: TestClient) -> None:
    from datetime import date

    corp, payee = _setup(db, "single")
    tid = _make(db, corp, payee, value_date=date(2026, 11, 24))
    first = _approve_pc(app, db, corp, "admin", tid)
    assert first.status_code == 200 and first.json()["state"] == "approved"
    second = _approve_pc(app, db, corp, "master", tid)       # a second approver, late
    assert second.status_code == 409
    assert _status(db, tid) == "accepted" and _balance(db, payee[2]) == 0
    run_at = datetime(2026, 11, 24, 9, 0, tzinfo=clock.JST)
    clock.set_now(run_at)
    run_due(db, at=run_at)
    run_due(db, at=run_at)
    assert _status(db, tid) == "executed" and _balance(db, payee[2]) == 30_000


@pytest.mark.req("APR-1")
def test_reject_cancels_and_withdraw_is_for_the_maker(db: Database, app: TestClient) -> None:
    corp, payee = _setup(db, "single")
    tid = _make(db, corp, payee)
    assert app.post(f"/api/v1/corporate/transfer-approvals/{tid}/reject",
                    headers=_h(corp, "general"), json={}).status_code == 403
    r = app.post(f"/api/v1/corporate/transfer-approvals/{tid}/reject",
                 headers=_h(corp, "admin"), json={"reason": "wrong payee"})
    assert r.status_code == 200 and r.json()["state"] == "rejected"
    assert _status(db, tid) == "cancelled"
    tid2 = _make(db, corp, payee, key="t2")
    w = app.post(f"/api/v1/corporate/transfer-approvals/{tid2}/withdraw",
                 headers=_h(corp, "general"))
    assert w.status_code == 200 and w.json()["state"] == "withdrawn"


def test_without_approval_a_transfer_runs_as_confirmed(db: Database, app: TestClient) -> None:
    corp, payee = _setup(db, "none")
    tid = _make(db, corp, payee, waits=False)
    assert _status(db, tid) == "executed"
    assert app.get("/api/v1/corporate/transfer-approvals",
                   headers=_h(corp, "admin")).json() == {"transfers": []}


@pytest.mark.req("APR-1")
def test_the_approval_pages(db: Database, app: TestClient) -> None:
    corp, payee = _setup(db, "single")
    tid = _make(db, corp, payee)
    app.cookies.set("kinko_session", corp.tokens["admin"])
    page = app.get("/corporate/transfer-approvals")
    assert page.status_code == 200 and f"transfer-{tid}" in page.text
    assert "承認方式" in page.text
    one = app.get(f"/corporate/transfer-approvals/{tid}?lang=en")
    assert one.status_code == 200 and "What an approval signs" in one.text
    assert "30,000" in one.text and 'name="otp_code"' in one.text


@pytest.mark.req("APR-1")
def test_two_approvers_at_once_give_one_execution(db: Database, pg_url: str) -> None:
    from kinko.corporate.errors import TransferApprovalStale
    from kinko.corporate_portal import transfer_approvals
    from kinko.ledger.models import JournalEntry
    from tests.corporate.test_bulk_execution import _race

    clock.set_now(FRIDAY)
    corp, payee = _setup(db, "single")
    tid = _make(db, corp, payee)
    digest = db.run(lambda s: transfer_approvals.get(s, corp.actor("admin"), tid)
                    .approval.digest)

    def approve(name: str) -> Any:
        actor = corp.actor(name)
        return lambda: db.run(lambda s: transfer_approvals.approve(
            s, actor, tid, digest=digest,
            step_up=StepUpProof(actor.user_id, digest, clock.now())).approval.state)

    outcomes = _race(approve("admin"), approve("master"))
    assert sorted(type(o).__name__ for o in outcomes) == ["TransferApprovalStale", "str"]
    assert any(isinstance(o, TransferApprovalStale) for o in outcomes)
    entries = db.run(lambda s: list(s.execute(select(JournalEntry.id).where(
        JournalEntry.idempotency_key == f"instruction:{tid}")).scalars()))
    assert len(entries) == 1 and _balance(db, payee[2]) == 30_000


@pytest.mark.req("APR-1")
def test_an_approval_given_on_the_page_with_the_step_up(db: Database, app: TestClient) -> None:
    import re

    from kinko.web.auth import SESSION_COOKIE, csrf_token

    corp, payee = _setup(db, "single")
    tid = _make(db, corp, payee)
    app.cookies.set(SESSION_COOKIE, corp.tokens["general"])
    maker = app.get(f"/corporate/transfer-approvals/{tid}")
    assert 'id="approve"' not in maker.text and 'id="edit"' in maker.text
    app.cookies.set(SESSION_COOKIE, corp.tokens["admin"])
    page = app.get(f"/corporate/transfer-approvals/{tid}")
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"', page.text)
    assert digest is not None
    clock.set_now(clock.now() + timedelta(seconds=31))
    wrong = app.post(f"/corporate/transfer-approvals/{tid}/approve", data={
        "csrf_token": csrf_token(corp.tokens["admin"]), "digest": digest.group(1),
        "confirmation_password": "Wrong0ne", "otp_code": "000000"})
    assert wrong.status_code in (401, 403, 422) and 'role="alert"' in wrong.text
    assert _status(db, tid) == "accepted"

    def code(s: Any) -> str:
        return otp.code_at(auth_repo.active_token(s, corp.users["admin"]), clock.now())
    token = app.cookies.get(SESSION_COOKIE) or corp.tokens["admin"]
    clock.set_now(clock.now() + timedelta(seconds=31))
    done = app.post(f"/corporate/transfer-approvals/{tid}/approve", follow_redirects=False,
                    data={"csrf_token": csrf_token(token), "digest": digest.group(1),
                          "confirmation_password": CONFIRMATION["admin"],
                          "otp_code": db.run(code)})
    assert done.status_code == 303, done.text
    assert _status(db, tid) == "executed" and _balance(db, payee[2]) == 30_000
    shown = app.get(done.headers["location"])
    assert "承認済" in shown.text


@pytest.mark.req("APR-1")
def test_the_portal_home_lists_transfers_waiting_for_the_user(db: Database,
                                                              app: TestClient) -> None:
    from kinko.web.auth import SESSION_COOKIE

    corp, payee = _setup(db, "single")
    tid = _make(db, corp, payee)
    app.cookies.set(SESSION_COOKIE, corp.tokens["admin"])
    home = app.get("/corporate")
    assert f"/corporate/transfer-approvals/{tid}" in home.text
    app.cookies.set(SESSION_COOKIE, corp.tokens["general"])     # the maker: nothing to approve
    assert f"/corporate/transfer-approvals/{tid}" not in app.get("/corporate").text


@pytest.mark.req("AUTH-12")
def test_the_pc_page_sends_the_approval_to_the_phone_and_takes_its_signature(
        db: Database, app: TestClient) -> None:
    import re

    from kinko.web.auth import SESSION_COOKIE, csrf_token

    corp, payee = _setup(db, "single", smartphone=True)
    tid = _make(db, corp, payee)
    phone = register_phone(app, corp, "admin")
    app.cookies.set(SESSION_COOKIE, corp.tokens["admin"])
    csrf = csrf_token(corp.tokens["admin"])
    sent = app.post(f"/corporate/transfer-approvals/{tid}/phone", data={"csrf_token": csrf})
    assert sent.status_code == 200 and 'id="phone-approve"' in sent.text
    approval_id = re.search(r'name="phone_approval_id" value="([^"]+)"', sent.text)
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"', sent.text)
    assert approval_id is not None and digest is not None
    [on_phone] = app.get("/api/v1/corporate/phone/approvals",
                         headers=_h(corp, "admin")).json()["approvals"]
    assert on_phone["approval_id"] == approval_id.group(1)
    assert app.post(f"/api/v1/corporate/phone/approvals/{on_phone['approval_id']}",
                    headers=_h(corp, "admin"),
                    json={"credential": phone.assert_(on_phone["options"])}).status_code == 200
    done = app.post(f"/corporate/transfer-approvals/{tid}/approve", follow_redirects=False,
                    data={"csrf_token": csrf, "digest": digest.group(1),
                          "phone_approval_id": approval_id.group(1)})
    assert done.status_code == 303, done.text
    assert _status(db, tid) == "executed" and _balance(db, payee[2]) == 30_000
