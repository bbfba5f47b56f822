"""TAX-1: payment on the 10th (next business day when closed), request by 14:00 three business
days before, funds the previous business day, cancel until the cutoff, receipts (PDF) from
the next business day after payment."""

from __future__ import annotations

import io
import json
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select

from kinko import clock
from kinko.auth import sessions
from kinko.auth.models import AuthUser
from kinko.auth.policy import rules_for
from kinko.config import Settings
from kinko.corporate_services import localtax
from kinko.corporate_services.errors import CutoffPassed, ReceiptNotYet, TaxRequestInvalid
from kinko.corporate_services.models import TaxState
from kinko.db import Database
from kinko.ledger.models import Account
from kinko.ledger.service import check_books
from kinko.notifications.service import EMAIL_TOPIC
from kinko.notifications.templates import render
from kinko.outbox.models import OutboxMessage
from kinko.web.app import create_app
from tests.corporate_services.helpers import corporate

LINES = [localtax.LineIn("131016", "A1234567", date(2026, 11, 1), 12, 240_000),
         localtax.LineIn("271004", "B7654321", date(2026, 11, 1), 3, 60_000)]


def _at(day: date, hour: int = 9, minute: int = 0) -> None:
    clock.set_now(datetime(day.year, day.month, day.day, hour, minute, tzinfo=clock.JST))


@pytest.mark.req("TAX-1")
def test_schedule_moves_with_the_calendar() -> None:
    at = datetime(2026, 11, 20, tzinfo=clock.JST)
    december = localtax.schedule(2026, 12, at)
    assert (december.payment, december.funding, december.receipt) == (
        date(2026, 12, 10), date(2026, 12, 9), date(2026, 12, 11))
    assert december.cutoff == datetime(2026, 12, 7, 14, 0, tzinfo=clock.JST)
    # 2027-01-10 is a Sunday and the 11th a holiday: paid on the 12th.
    january = localtax.schedule(2027, 1, at)
    assert (january.payment, january.funding) == (date(2027, 1, 12), date(2027, 1, 8))
    assert january.cutoff == datetime(2027, 1, 6, 14, 0, tzinfo=clock.JST)


@pytest.mark.req("TAX-1")
def test_a_payment_from_request_to_receipt(db: Database) -> None:
    _at(date(2026, 12, 7), 13, 59)
    with db.transaction() as s:
        actor, account_id = corporate(s, balance=1_000_000)
        payment = localtax.request(s, actor, year=2026, month=12, lines=LINES)
        doomed = localtax.request(s, actor, year=2026, month=12, lines=LINES[:1])
        assert (payment.total, payment.fee) == (300_000, 220)
        localtax.cancel(s, actor, doomed.id)
        payment_id = payment.id
        late_cancel = localtax.request(s, actor, year=2026, month=12, lines=LINES[1:]).id
    _at(date(2026, 12, 7), 14, 1)
    with db.transaction() as s, pytest.raises(CutoffPassed):
        localtax.request(s, actor, year=2026, month=12, lines=LINES)
    with db.transaction() as s, pytest.raises(CutoffPassed):
        localtax.cancel(s, actor, late_cancel)
    _at(date(2026, 12, 8))
    with db.transaction() as s:
        assert localtax.run_due(s)["funded"] == 0
    _at(date(2026, 12, 9))                      # funds: the previous business day
    with db.transaction() as s:
        assert localtax.run_due(s)["funded"] == 2
        assert s.get(Account, account_id).balance == 1_000_000 - 300_220 - 60_110  # type: ignore[union-attr]
    _at(date(2026, 12, 10))
    with db.transaction() as s:
        assert localtax.run_due(s)["paid"] == 2
        with pytest.raises(ReceiptNotYet):
            localtax.receipt_pdf(s, actor, payment_id)
    _at(date(2026, 12, 11))
    with db.transaction() as s:
        assert localtax.run_due(s)["receipts"] == 2
        _, pdf = localtax.receipt_pdf(s, actor, payment_id)
        check = check_books(s)
        assert check.debits == check.credits and not check.mismatched
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "領収証書" in text and "東京都千代田区" in text and "240,000円" in text


@pytest.mark.req("TAX-1")
def test_short_funds_leave_it_unpaid(db: Database) -> None:
    _at(date(2026, 12, 1))
    with db.transaction() as s:
        actor, account_id = corporate(s, balance=100_000)
        payment_id = localtax.request(s, actor, year=2026, month=12, lines=LINES).id
    _at(date(2026, 12, 9))
    with db.transaction() as s:
        assert localtax.run_due(s)["failed"] == 1
    _at(date(2026, 12, 10))
    with db.transaction() as s:
        localtax.run_due(s)
        assert localtax.own_payment(s, actor, payment_id).state is TaxState.FAILED
        assert s.get(Account, account_id).balance == 100_000  # type: ignore[union-attr]
        # NOTIF-1: the company is told by e-mail (queued in the same transaction).
        queued = [json.loads(m.payload) for m in s.execute(select(OutboxMessage)).scalars()
                  if m.topic == EMAIL_TOPIC]
        assert [q["template"] for q in queued] == ["corporate.tax.failed"]
        mail = render("corporate.tax.failed", queued[0]["data"])
        assert "地方税の納付ができませんでした" in mail.subject


@pytest.mark.req("TAX-1")
def test_file_and_form_over_http_with_line_numbers(db: Database) -> None:
    _at(date(2026, 12, 1))
    with db.transaction() as s:
        actor, _ = corporate(s, balance=1_000_000)
        user = s.get(AuthUser, actor.user_id)
        assert user is not None
        token, _ = sessions.start(s, user, rules_for(user.product))
    with pytest.raises(TaxRequestInvalid) as refused:
        localtax.check_lines(localtax.parse_file(
            "市区町村,指定番号,月,人員,税額\n131016,A1,2026-11,1,100\n999999,A2,2026-11,1,5\n"
            .encode()))
    assert refused.value.extra["errors"][0]["line"] == 2
    with TestClient(create_app(db, Settings())) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        made = client.post("/api/v1/corporate/local-tax/payments", json={
            "payment_month": "2026-12", "lines": [{
                "municipality_code": "131032", "designation_number": "X1", "tax_month": "2026-11",
                "employees": 2, "amount": 50_000}]})
        assert made.status_code == 201, made.text
        assert made.json()["payment_date"] == "2026-12-10"
        filed = client.post("/api/v1/corporate/local-tax/payments/file",
                            data={"payment_month": "2026-12"},
                            files={"file": ("tax.csv", b"141003,Y9,2026-11,4,80000\n")})
        assert filed.status_code == 201, filed.text
        bad = client.post("/api/v1/corporate/local-tax/payments/file",
                          data={"payment_month": "2026-12"},
                          files={"file": ("tax.csv", b"141003,Y9,2026-11,4,80000\nxx\n")})
        assert bad.status_code == 422 and bad.json()["errors"][0]["line"] == 2
        assert len(client.get("/api/v1/corporate/local-tax/payments").json()["payments"]) == 2
        cancelled = client.post(f"/api/v1/corporate/local-tax/payments/{made.json()['id']}/cancel")
        assert cancelled.json()["state"] == "cancelled"
        page = client.get("/corporate/local-tax")
        assert page.status_code == 200 and "2026-12-10" in page.text
