"""Online recall 組戻 of a bulk request once its value-date run has begun (BULK-1:
"cancellation until the cutoff, then recall with the fee"), over real HTTP through the app:
per payee or the whole request, the recall fee from policy, money through the ledger and
back to the representative account, every recall audited, refusals that change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.models import AuditEvent
from kinko.batch.service import run_due
from kinko.bulk import service as bulk
from kinko.bulk.models import BulkLine, BulkRequest, BulkState, LineState
from kinko.config import Settings
from kinko.corporate import service as corporate
from kinko.db import Database
from kinko.ledger.books import book
from kinko.ledger.models import Account
from kinko.ledger.rules import Leg
from kinko.ledger.service import EntryRequest, check_books, post
from kinko.policy import policy_at
from kinko.web.app import create_app
from kinko.web.auth import SESSION_COOKIE, csrf_token
from tests.corporate import builders
from tests.corporate.bulkkit import (
    FRIDAY,
    OWN,
    RUN_AT,
    approve,
    balance,
    own_payees,
    remote_payee,
    run_batch,
    transfer_file,
)

HTML = {"Accept": "text/html"}


@pytest.fixture
def corp(db: Database) -> builders.Corp:
    clock.set_now(FRIDAY)
    c = db.run(builders.contract)
    db.run(lambda s: builders.grant(s, c, "general", "H", [c.representative]))
    db.run(lambda s: corporate.set_approval_mode(s, c.actor("master"), kind="bulk",
                                                 mode="single"))
    return c


@pytest.fixture
def app(db: Database) -> Iterator[TestClient]:
    clock.set_now(FRIDAY)
    with TestClient(create_app(db, Settings())) as client:
        yield client


def _as(app: TestClient, corp: builders.Corp, who: str, db: Database | None = None
        ) -> dict[str, str]:
    """Signed in as ``who`` (again, when ``db`` is given: the clock has moved on)."""
    if db is not None:
        corp.tokens[who] = db.run(lambda s: builders.login(s, corp, who))
    app.cookies.set(SESSION_COOKIE, corp.tokens[who])
    return {"X-CSRF-Token": csrf_token(corp.tokens[who])}


def _request(db: Database, corp: builders.Corp, amounts: list[int], *, other_bank: bool = False
             ) -> tuple[int, list[tuple[str, str, str, int]]]:
    """A request paying this bank's new accounts ``amounts`` (and, if asked, one payee at
    another bank last), approved and waiting for its value date."""
    own = db.run(lambda s: own_payees(s, len(amounts)))
    lines = [(OWN, b, n, h, a) for (b, n, h, _), a in zip(own, amounts, strict=True)]
    if other_bank:
        db.run(lambda s: remote_payee(s, "7000001"))
        lines.append(("0001", "001", "7000001", "ﾀﾀﾞﾉ ﾀﾛｳ", 40_000))
    req = db.run(lambda s: bulk.from_zengin(s, corp.actor("general"), transfer_file(lines)))
    approve(db, corp.actor("admin"), req.id)
    return req.id, own


def _states(db: Database, request_id: int) -> dict[int, LineState]:
    rows = db.run(lambda s: s.execute(select(BulkLine.line_no, BulkLine.state).where(
        BulkLine.request_id == request_id)).all())
    return {r.line_no: r.state for r in rows}


def _suspense(db: Database) -> int:
    return db.run(lambda s: s.get(Account, book(s, "suspense")).balance)


def _recall_audits(db: Database, request_id: int) -> list[dict[str, Any]]:
    import json

    return db.run(lambda s: [json.loads(e.data) for e in s.execute(select(AuditEvent).where(
        AuditEvent.action == "bulk.lines_recalled",
        AuditEvent.subject_id == str(request_id))).scalars()])


@pytest.mark.req("BULK-1")
def test_a_finished_request_is_recalled_per_payee_then_whole_through_the_api(
        db: Database, corp: builders.Corp, app: TestClient) -> None:
    request_id, own = _request(db, corp, [10_000, 20_000, 30_000], other_bank=True)
    run_batch(db, RUN_AT)
    assert db.run(lambda s: s.get(BulkRequest, request_id).state) is BulkState.EXECUTED
    fee = db.run(lambda s: policy_at(clock.now()).transfers.recall_fee)
    assert fee > 0
    rep = balance(db, corp.representative)
    headers = _as(app, corp, "general", db)
    # Before its run a request is cancelled (or recalled whole) by /cancel, not here.
    one = app.post(f"/api/v1/corporate/bulk/{request_id}/recall", headers=headers,
                   json={"lines": [2], "reason": "ｷﾝｶﾞｸﾁｶﾞｲ"})
    assert one.status_code == 200, one.text
    body = one.json()
    assert (body["recalled"], body["recall_fee"], body["kept"]) == ([2], fee, [])
    assert body["result"]["recalled"] == {"count": 1, "amount": 20_000}
    assert balance(db, own[1][3]) == 0
    assert balance(db, corp.representative) == rep + 20_000 - fee
    # The same payee again: refused, nothing changes.
    again = app.post(f"/api/v1/corporate/bulk/{request_id}/recall", headers=headers,
                     json={"lines": [2]})
    assert again.status_code == 409
    assert again.json()["code"] == "BULK_NOT_RECALLABLE"
    assert balance(db, corp.representative) == rep + 20_000 - fee
    # A line the request does not have: 404, nothing changes.
    assert app.post(f"/api/v1/corporate/bulk/{request_id}/recall", headers=headers,
                    json={"lines": [1, 99]}).status_code == 404
    assert balance(db, own[0][3]) == 10_000
    # Bad input is a problem, not a 500.
    assert app.post(f"/api/v1/corporate/bulk/{request_id}/recall", headers=headers,
                    json={"lines": []}).status_code == 422
    # The whole request: this bank's payees come back; the other bank's payee is left, said.
    whole = app.post(f"/api/v1/corporate/bulk/{request_id}/recall", headers=headers, json={})
    assert whole.status_code == 200, whole.text
    body = whole.json()
    assert body["recalled"] == [1, 3] and body["recall_fee"] == 2 * fee
    assert {k["line"] for k in body["kept"]} == {2, 4}
    assert _states(db, request_id) == {1: LineState.RECALLED, 2: LineState.RECALLED,
                                       3: LineState.RECALLED, 4: LineState.SENT}
    assert balance(db, corp.representative) == rep + 60_000 - 3 * fee
    assert db.run(check_books).mismatched == {}
    audits = _recall_audits(db, request_id)
    assert [(a["lines"], a["fee"], a["whole"]) for a in audits] == [
        ([[2, 2]], fee, False), ([[1, 1], [3, 3]], 2 * fee, True)]
    # The result file leaves recalled payees out (they were not paid in the end).
    zengin = db.run(lambda s: bulk.result_zengin(s, corp.actor("general"), request_id))
    assert len([r for r in zengin.split(b"\r\n") if r[:1] == b"2"]) == 1


@pytest.mark.req("BULK-1")
def test_a_recall_while_the_run_is_going_withholds_the_unpaid_payees(
        db: Database, corp: builders.Corp, monkeypatch: pytest.MonkeyPatch) -> None:
    amounts = [1_000 * (i + 1) for i in range(6)]
    request_id, own = _request(db, corp, amounts)
    monkeypatch.setattr(bulk, "CHUNK", 2)
    real = bulk.pay_chunk
    calls = {"n": 0}

    def stopping(*args: Any, **kw: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:            # the runner stops after the first chunk
            raise SystemExit("stopped")
        return real(*args, **kw)

    monkeypatch.setattr(bulk, "pay_chunk", stopping)
    clock.set_now(RUN_AT)
    with pytest.raises(SystemExit):
        run_due(db, at=RUN_AT)
    monkeypatch.setattr(bulk, "pay_chunk", real)
    assert db.run(lambda s: s.get(BulkRequest, request_id).state) is BulkState.EXECUTING
    assert list(_states(db, request_id).values()).count(LineState.CREDITED) == 2
    rep = balance(db, corp.representative)
    fee = db.run(lambda s: policy_at(clock.now()).transfers.recall_fee)
    # Line 1 was paid, line 5 not yet: both come back, from the payee and from suspense.
    done = db.run(lambda s: bulk.recall(s, corp.actor("master"), request_id, line_nos=[1, 5]))
    assert (done.recalled, done.fee, done.kept) == ([1, 5], 2 * fee, {})
    assert balance(db, corp.representative) == rep + 1_000 + 5_000 - 2 * fee
    run_due(db, at=RUN_AT + timedelta(minutes=1))   # the run goes on and ends
    run_due(db, at=RUN_AT + timedelta(minutes=2))   # nothing left to do
    states = _states(db, request_id)
    assert states == {1: LineState.RECALLED, 2: LineState.CREDITED, 3: LineState.CREDITED,
                      4: LineState.CREDITED, 5: LineState.RECALLED, 6: LineState.CREDITED}
    assert [balance(db, x[3]) for x in own] == [0, 2_000, 3_000, 4_000, 0, 6_000]
    assert db.run(lambda s: s.get(BulkRequest, request_id).state) is BulkState.EXECUTED
    assert _suspense(db) == 0
    assert db.run(check_books).mismatched == {}


def _drain(session: Session, account_id: int, leave: int = 0) -> None:
    acc = session.get(Account, account_id)
    assert acc is not None
    take = acc.balance - leave
    post(session, EntryRequest(kind="withdrawal", legs=[Leg(account_id, -take),
                                                        Leg(book(session, "cash"), take)]),
         actor="test")


@pytest.mark.req("BULK-1")
def test_an_unaffordable_fee_changes_nothing_and_a_payee_that_cannot_give_back_is_kept(
        db: Database, corp: builders.Corp, app: TestClient) -> None:
    request_id, own = _request(db, corp, [10_000, 20_000, 500])
    run_batch(db, RUN_AT)
    headers = _as(app, corp, "general", db)
    fee = db.run(lambda s: policy_at(clock.now()).transfers.recall_fee)
    assert fee > 500
    # The representative account cannot pay the fee even with the 500 yen back: nothing of
    # the recall is kept.
    db.run(lambda s: _drain(s, corp.representative))
    refused = app.post(f"/api/v1/corporate/bulk/{request_id}/recall", headers=headers,
                       json={"lines": [3]})
    assert refused.status_code == 409 and refused.json()["code"] == "INSUFFICIENT_FUNDS"
    assert balance(db, own[2][3]) == 500 and balance(db, corp.representative) == 0
    assert _states(db, request_id)[3] is LineState.CREDITED
    assert _recall_audits(db, request_id) == []
    # Funded again; the first payee spent half of what it got: it is kept, with the reason.
    db.run(lambda s: post(s, EntryRequest(kind="deposit", legs=[
        Leg(book(s, "cash"), -100_000), Leg(corp.representative, 100_000)]), actor="test"))
    db.run(lambda s: _drain(s, own[0][3], leave=5_000))
    res = app.post(f"/api/v1/corporate/bulk/{request_id}/recall", headers=headers, json={})
    assert res.status_code == 200, res.text
    assert res.json()["recalled"] == [2, 3] and res.json()["recall_fee"] == 2 * fee
    assert [k["line"] for k in res.json()["kept"]] == [1]
    assert balance(db, own[0][3]) == 5_000
    assert balance(db, corp.representative) == 100_000 + 20_500 - 2 * fee
    assert _states(db, request_id) == {1: LineState.CREDITED, 2: LineState.RECALLED,
                                       3: LineState.RECALLED}
    assert db.run(check_books).mismatched == {}


@pytest.mark.req("BULK-1")
def test_the_request_page_recalls_chosen_payees_in_japanese_and_english(
        db: Database, corp: builders.Corp, app: TestClient) -> None:
    request_id, own = _request(db, corp, [10_000, 20_000, 30_000])
    headers = _as(app, corp, "general")
    page = f"/corporate/bulk/{request_id}"
    # Before the run the page offers the cancellation, not the recall, and refuses one.
    assert 'id="recall"' not in app.get(page, headers=HTML).text
    early = app.post(f"{page}/recall", headers=HTML | headers, data={"scope": "all"})
    assert early.status_code == 409 and "組戻できません" in early.text
    run_batch(db, RUN_AT)
    headers = _as(app, corp, "general", db)
    shown = app.get(page, headers=HTML)
    assert 'id="recall"' in shown.text and 'name="line" value="2"' in shown.text
    assert 'id="recall"' in app.get(f"{page}?lang=en", headers=HTML).text
    done = app.post(f"{page}/recall", headers=HTML | headers,
                    data={"scope": "chosen", "line": ["2", "3"], "reason": "ｼﾞﾕｳﾌｸ"},
                    follow_redirects=False)
    assert done.status_code == 303
    back = done.headers["location"].split("#")[0]
    after = app.get(back + "&lang=ja", headers=HTML)
    assert after.status_code == 200 and 'id="recall-done"' in after.text
    assert "組戻済" in after.text and "50,000" in after.text
    english = app.get(back + "&lang=en", headers=HTML)
    assert "Recall done" in english.text and "recalled" in english.text
    assert [balance(db, x[3]) for x in own] == [10_000, 0, 0]
    assert 'id="recall-kept"' not in after.text
    # Asking again for a recalled payee and a credited one: the page says which was left.
    again = app.post(f"{page}/recall", headers=HTML | headers,
                     data={"scope": "chosen", "line": ["1", "2"]}, follow_redirects=False)
    assert again.status_code == 303
    kept = app.get(again.headers["location"].split("#")[0] + "&lang=ja", headers=HTML)
    assert 'id="recall-kept"' in kept.text and "(2)" in kept.text
    assert [balance(db, x[3]) for x in own] == [0, 0, 0]
    # Without the CSRF token the page refuses and changes nothing.
    rep = balance(db, corp.representative)
    forged = app.post(f"{page}/recall", headers=HTML, data={"scope": "all"})
    assert forged.status_code == 403
    assert balance(db, corp.representative) == rep
    # A user without the bulk grant cannot see nor recall it.
    db.run(lambda s: builders.grant(s, corp, "general", "A", [corp.representative]))
    assert app.post(f"{page}/recall", headers=HTML | headers,
                    data={"scope": "all"}).status_code in (403, 404)
    assert balance(db, corp.representative) == rep
