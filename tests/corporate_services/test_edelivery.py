"""EDOC-1: PDFs delivered electronically, listed and downloadable for the retention period,
then removed; one switch for the whole contract; paper when the contract or account ends."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from kinko import clock
from kinko.auth import sessions
from kinko.auth.models import AuthContract, AuthUser, ContractState
from kinko.auth.policy import rules_for
from kinko.config import Settings
from kinko.corporate_services import edelivery
from kinko.corporate_services.errors import DocumentNotFound
from kinko.corporate_services.models import Delivery, DocumentKind
from kinko.db import Database
from kinko.ledger.models import Account, AccountState
from kinko.ledger.service import change_state
from kinko.web.app import create_app
from tests.corporate_services.helpers import corporate, second_account

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST)


def _text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def _issue(db: Database, contract_id: int, kind: DocumentKind, source: str,
           account_id: int | None = None) -> int:
    with db.transaction() as s:
        return edelivery.issue(s, contract_id=contract_id, kind=kind,
                               title=f"{edelivery.TITLES[kind]} テスト", body=["本文です。"],
                               table=[["項目", "金額"], ["手数料", "1,100円"]],
                               account_id=account_id, source=source).id


@pytest.mark.req("EDOC-1")
def test_each_kind_renders_and_reads_back(db: Database) -> None:
    clock.set_now(NOW)
    with db.transaction() as s:
        actor, account_id = corporate(s, balance=123_456)
        edelivery.choose(s, actor, Delivery.ELECTRONIC)
    for kind in DocumentKind:
        _issue(db, actor.contract_id, kind, f"t:{kind.value}", account_id)
    with db.transaction() as s:
        statement = edelivery.statement_pdf(s, actor.contract_id, s.get(Account, account_id),  # type: ignore[arg-type]
                                            date(2026, 11, 1), date(2026, 11, 20))
        listed = edelivery.listed(s, actor)
        assert {d.kind for d in listed} == {k.value for k in DocumentKind}
        for d in listed:
            _, pdf = edelivery.pdf_of(s, actor, d.id)
            text = _text(pdf)
            assert d.title in text and "金庫銀行" in text
        _, pdf = edelivery.pdf_of(s, actor, statement.id)
        assert "残高 123,456円" in _text(pdf)


@pytest.mark.req("EDOC-1")
def test_one_switch_and_paper_fallback(db: Database) -> None:
    clock.set_now(NOW)
    with db.transaction() as s:
        actor, account_id = corporate(s)
        other = second_account(s, actor)
    paper = _issue(db, actor.contract_id, DocumentKind.NOTICE, "a")    # default: paper
    with db.transaction() as s:
        edelivery.choose(s, actor, Delivery.ELECTRONIC)
    electronic = _issue(db, actor.contract_id, DocumentKind.NOTICE, "b", account_id)
    with db.transaction() as s:
        change_state(s, other, AccountState.CLOSED, actor="test", reason="closed")
    closed_account = _issue(db, actor.contract_id, DocumentKind.STATEMENT, "c", other)
    with db.transaction() as s:
        assert [d.id for d in edelivery.listed(s, actor)] == [electronic]
        for hidden in (paper, closed_account):
            with pytest.raises(DocumentNotFound):
                edelivery.pdf_of(s, actor, hidden)
        contract = s.get(AuthContract, actor.contract_id)
        assert contract is not None
        contract.state = ContractState.TERMINATED
    ended = _issue(db, actor.contract_id, DocumentKind.NOTICE, "d", account_id)
    with db.transaction() as s:
        from kinko.corporate_services.models import IssuedDocument

        assert s.get(IssuedDocument, ended).delivery is Delivery.PAPER  # type: ignore[union-attr]


@pytest.mark.req("EDOC-1")
def test_kept_13_months_then_removed_by_the_batch(db: Database) -> None:
    clock.set_now(NOW)
    with db.transaction() as s:
        actor, _ = corporate(s)
        edelivery.choose(s, actor, Delivery.ELECTRONIC)
    doc = _issue(db, actor.contract_id, DocumentKind.FEE_NOTICE, "fee")
    clock.set_now(datetime(2027, 12, 20, 10, 0, tzinfo=clock.JST))     # 13 months on: kept
    with db.transaction() as s:
        assert [d.id for d in edelivery.listed(s, actor)] == [doc]
        assert edelivery.purge(s, clock.today()) == 0
    clock.set_now(datetime(2027, 12, 21, 10, 0, tzinfo=clock.JST))     # a day past: gone
    with db.transaction() as s:
        assert edelivery.listed(s, actor) == []
        assert edelivery.purge(s, clock.today()) == 1


@pytest.mark.req("EDOC-1")
def test_list_switch_and_download_over_http(db: Database) -> None:
    clock.set_now(NOW)
    with db.transaction() as s:
        actor, _ = corporate(s)
        user = s.get(AuthUser, actor.user_id)
        assert user is not None
        token, _ = sessions.start(s, user, rules_for(user.product))
    with TestClient(create_app(db, Settings())) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        assert client.get("/api/v1/corporate/documents").json()["delivery"] == "paper"
        switched = client.put("/api/v1/corporate/documents/delivery",
                              json={"delivery": "electronic"})
        assert switched.json() == {"delivery": "electronic"}
        bad = client.put("/api/v1/corporate/documents/delivery", json={"delivery": "fax"})
        assert bad.status_code == 422
        doc = _issue(db, actor.contract_id, DocumentKind.RECEIPT, "r")
        listed = client.get("/api/v1/corporate/documents").json()["documents"]
        assert [d["id"] for d in listed] == [doc]
        pdf = client.get(f"/api/v1/corporate/documents/{doc}/pdf")
        assert pdf.headers["content-type"] == "application/pdf"
        assert "領収証書" in _text(pdf.content)
        assert client.get("/api/v1/corporate/documents/999999/pdf").status_code == 404
        page = client.get("/corporate/documents")
        assert page.status_code == 200 and "領収証書" in page.text
