"""FEE-1 and EDOC-1: the month's base fee, debited through the ledger, issues a 手数料のお知らせ
PDF with the direct debit fees of the month before; it is listed in the contract's electronic
delivery for the retention period (13 months), read back here with pypdf, and then removed."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from kinko import clock
from kinko.auth import sessions
from kinko.auth.models import AuthUser
from kinko.auth.policy import rules_for
from kinko.config import Settings, get_settings
from kinko.corporate_services import debits, edelivery, fees
from kinko.corporate_services.models import DebitAgreement, Delivery
from kinko.db import Database
from kinko.web.app import create_app
from tests.corporate_services.debit_support import request_file, world


def _at(day: date, hour: int = 9) -> None:
    clock.set_now(datetime(day.year, day.month, day.day, hour, 0, tzinfo=clock.JST))


def _client(db: Database, user_id: int) -> TestClient:
    with db.transaction() as s:
        user = s.get(AuthUser, user_id)
        assert user is not None
        token, _ = sessions.start(s, user, rules_for(user.product))
    client = TestClient(create_app(db, Settings()))
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def _text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.req("FEE-1")
@pytest.mark.req("EDOC-1")
def test_the_monthly_fee_issues_a_fee_notice_listed_for_the_retention_period(
        db: Database) -> None:
    _at(date(2026, 11, 16), 10)
    with db.transaction() as s:
        w = world(s, balances=[50_000, 50_000, 100])        # the third is short of funds
        edelivery.choose(s, w.actor, Delivery.ELECTRONIC)
        agreement = s.get(DebitAgreement, w.agreement_id)
        assert agreement is not None
        bank = get_settings().bank_code
        debits.upload(s, agreement, request_file(
            [(bank, b, n, 4_000) for _, b, n in w.payers], debit_date=date(2026, 11, 27),
            today=date(2026, 11, 16)), user_id=None, actor="test")
    _at(date(2026, 11, 27))
    debits.run_due(db)
    _at(date(2026, 11, 30))                               # settled: 2 × 110 yen taken
    assert debits.run_due(db).settled == 1
    _at(date(2026, 12, 10), 8)
    with db.transaction() as s:
        assert fees.charge_due(s).paid == 1
        assert fees.charge_due(s).paid == 0               # once: no second notice
    with _client(db, w.actor.user_id) as client:
        listed = client.get("/api/v1/corporate/documents").json()["documents"]
        notices = [d for d in listed if d["kind"] == "fee_notice"]
        assert [d["title"] for d in notices] == ["手数料のお知らせ 2026年12月"]
        notice_id = notices[0]["id"]
        pdf = client.get(f"/api/v1/corporate/documents/{notice_id}/pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        text = _text(pdf.content)
        assert "月間基本料（総合コース） 2026年12月分" in text and "3,300円" in text
        assert "口座振替 引落手数料" in text and "2026年11月入金分" in text
        assert "2件" in text and "220円" in text
        assert "3,520円" in text                          # 合計
        assert "引落日 2026-12-10" in text and "領収書ではありません" in text
        assert "手数料のお知らせ" in client.get("/corporate/documents").text
    # Kept for 13 months from the issue day, then the daily batch removes it.
    _at(date(2028, 1, 10))
    with db.transaction() as s:
        edelivery.purge(s, clock.today())
    with _client(db, w.actor.user_id) as client:
        assert client.get(f"/api/v1/corporate/documents/{notice_id}/pdf").status_code == 200
    _at(date(2028, 1, 11))
    with db.transaction() as s:
        assert edelivery.purge(s, clock.today()) >= 1
    with _client(db, w.actor.user_id) as client:
        assert client.get(f"/api/v1/corporate/documents/{notice_id}/pdf").status_code == 404
        assert all(d["kind"] != "fee_notice"
                   for d in client.get("/api/v1/corporate/documents").json()["documents"])


@pytest.mark.req("FEE-1")
def test_an_unpaid_fee_issues_its_notice_when_it_is_paid(db: Database) -> None:
    from kinko.ledger.rules import Leg
    from kinko.ledger.service import EntryRequest, post
    from tests import factories
    from tests.corporate_services.helpers import corporate

    _at(date(2026, 11, 20))
    with db.transaction() as s:
        actor, account_id = corporate(s, balance=100)
        edelivery.choose(s, actor, Delivery.ELECTRONIC)
    _at(date(2026, 12, 10), 8)
    with db.transaction() as s:
        assert fees.charge_due(s).unpaid == 1
        assert edelivery.listed(s, actor) == []
        post(s, EntryRequest(kind="deposit", legs=[Leg(factories.cash(s), -5_000),
                                                   Leg(account_id, 5_000)]), actor="test")
    _at(date(2026, 12, 11), 8)
    with db.transaction() as s:
        assert fees.charge_due(s).paid == 1
        [notice] = edelivery.listed(s, actor)
        _, pdf = edelivery.pdf_of(s, actor, notice.id)
    text = _text(pdf)
    assert "引落日 2026-12-11" in text and "3,300円" in text and "口座振替" not in text
