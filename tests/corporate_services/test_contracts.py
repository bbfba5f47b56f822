"""CTR-1 / CTR-2: a one-year term renewed automatically unless objected to; termination by
the customer; closing accounts; the daily review queues inactivity, bouncing e-mail and unpaid
fees for an operator, who decides on the back-office page."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient

from kinko import clock
from kinko.auth import sessions
from kinko.auth.models import AuthContract, AuthUser, ContractState
from kinko.auth.policy import rules_for
from kinko.backoffice.models import OperatorRole
from kinko.backoffice.operators import create_operator
from kinko.config import Settings
from kinko.corporate_services import contracts, edelivery, fees
from kinko.corporate_services.models import (
    CandidateReason,
    CandidateState,
    Delivery,
    DocumentKind,
    IssuedDocument,
)
from kinko.db import Database
from kinko.ledger.models import AccountState
from kinko.ledger.service import change_state
from kinko.notifications.service import record_bounce
from kinko.web.app import create_app
from tests.corporate_services.helpers import corporate, second_account
from tests.operator_login import sign_in_operator

START = datetime(2026, 1, 15, 10, 0, tzinfo=clock.JST)


def _at(day: date) -> None:
    clock.set_now(datetime(day.year, day.month, day.day, 6, 0, tzinfo=clock.JST))


def _state(db: Database, contract_id: int) -> ContractState:
    with db.transaction() as s:
        contract = s.get(AuthContract, contract_id)
        assert contract is not None
        return contract.state


def _login_now(db: Database, user_id: int) -> None:
    with db.transaction() as s:
        user = s.get(AuthUser, user_id)
        assert user is not None
        user.last_login_at = clock.now()


@pytest.mark.req("CTR-1")
def test_one_year_term_renewed_unless_objected(db: Database) -> None:
    clock.set_now(START)
    with db.transaction() as s:
        actor, _ = corporate(s)
        other, _ = corporate(s)
        term = contracts.term_of(s, s.get(AuthContract, actor.contract_id))  # type: ignore[arg-type]
        assert (term.started_on, term.term_end) == (date(2026, 1, 15), date(2027, 1, 14))
        contracts.object_to_renewal(s, other)
    _at(date(2027, 1, 14))
    for a in (actor, other):
        _login_now(db, a.user_id)
    with db.transaction() as s:
        assert contracts.review(s) == contracts.Review(0, 0, 0)
    _at(date(2027, 1, 15))
    with db.transaction() as s:
        assert contracts.review(s) == contracts.Review(1, 1, 0)
        term = contracts.term_of(s, s.get(AuthContract, actor.contract_id))  # type: ignore[arg-type]
        assert (term.term_end, term.renewals) == (date(2028, 1, 14), 1)
    assert _state(db, actor.contract_id) is ContractState.ACTIVE
    assert _state(db, other.contract_id) is ContractState.TERMINATED


@pytest.mark.req("CTR-1")
def test_closing_accounts(db: Database) -> None:
    clock.set_now(START)
    with db.transaction() as s:
        actor, rep = corporate(s)
        usage = second_account(s, actor)
        edelivery.choose(s, actor, Delivery.ELECTRONIC)
        change_state(s, usage, AccountState.CLOSED, actor="test", reason="closed")
        contract = s.get(AuthContract, actor.contract_id)
        assert contract is not None
        from kinko.corporate_services import access

        assert [a.id for a in access.usage_accounts(s, contract)] == [rep]
    with db.transaction() as s:
        contracts.review(s)
    assert _state(db, actor.contract_id) is ContractState.ACTIVE
    with db.transaction() as s:
        change_state(s, rep, AccountState.CLOSED, actor="test", reason="closed")
    with db.transaction() as s:
        assert contracts.review(s).ended == 1
        doc = edelivery.issue(s, contract_id=actor.contract_id, kind=DocumentKind.NOTICE,
                              title="解約のお知らせ", body=["ご契約は終了しました。"], source="end")
        assert s.get(IssuedDocument, doc.id).delivery is Delivery.PAPER  # type: ignore[union-attr]
    assert _state(db, actor.contract_id) is ContractState.TERMINATED


@pytest.mark.req("CTR-2")
def test_review_queues_inactivity_bounces_and_unpaid_fees(db: Database) -> None:
    clock.set_now(START)
    with db.transaction() as s:
        idle, _ = corporate(s)
        bouncing, _ = corporate(s)
        unpaid, _ = corporate(s, balance=0)
        fine, _ = corporate(s)
        address = s.get(AuthContract, bouncing.contract_id)
        from kinko.parties.models import Customer

        customer = s.get(Customer, address.customer_id)  # type: ignore[union-attr]
        assert customer is not None and customer.email
        email = customer.email
    _at(date(2026, 9, 1))
    with db.transaction() as s:
        record_bounce(s, email, "550 no such user")
    _at(date(2026, 12, 1))                                   # three months of bounces
    for a in (bouncing, unpaid, fine):
        _login_now(db, a.user_id)
    _at(date(2026, 12, 10))
    with db.transaction() as s:
        fees.charge_due(s)
    _at(date(2027, 1, 15))                                   # a year idle since the contract day
    with db.transaction() as s:
        assert contracts.review(s).queued == 3
        assert contracts.review(s).queued == 0               # queued once
        queued = {(c.contract_id, c.reason) for c, _, _ in contracts.candidates(s)}
    assert queued == {(idle.contract_id, CandidateReason.INACTIVE),
                      (bouncing.contract_id, CandidateReason.EMAIL_BOUNCING),
                      (unpaid.contract_id, CandidateReason.UNPAID_FEES)}
    # The back office lists them and decides: terminate one, dismiss another.
    with db.transaction() as s:
        create_operator(s, code="T901", name="事務", roles=[OperatorRole.TELLER],
                        branch_code="001", actor="test")
    with TestClient(create_app(db, Settings())) as client:
        assert client.get("/operator/corporate/candidates",
                          follow_redirects=False).status_code == 303
        sign_in_operator(client, "T901", db=db)
        page = client.get("/operator/corporate/candidates").text
        assert "手数料未払い" in page and "1年以上利用なし" in page
        csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
        assert csrf
        with db.transaction() as s:
            ids = {c.reason: c.id for c, _, _ in contracts.candidates(s)}
        done = client.post(f"/operator/corporate/candidates/{ids[CandidateReason.INACTIVE]}"
                           "/decide", data={"outcome": "terminate", "csrf_token": csrf[1]},
                           follow_redirects=False)
        assert done.status_code == 303
        client.post(f"/operator/corporate/candidates/{ids[CandidateReason.UNPAID_FEES]}"
                    "/decide", data={"outcome": "dismiss", "csrf_token": csrf[1]})
        bounce_id = ids[CandidateReason.EMAIL_BOUNCING]
        refused = client.post(f"/operator/corporate/candidates/{bounce_id}/decide",
                              data={"outcome": "terminate", "csrf_token": "bad"})
        assert refused.status_code == 403
    assert _state(db, idle.contract_id) is ContractState.TERMINATED
    assert _state(db, unpaid.contract_id) is ContractState.ACTIVE
    with db.transaction() as s:
        assert [c.reason for c, _, _ in contracts.candidates(s)] == [
            CandidateReason.EMAIL_BOUNCING]
        assert len(contracts.candidates(s, CandidateState.DISMISSED)) == 1


@pytest.mark.req("CTR-1")
def test_customer_sees_the_term_and_objects_to_renewal(db: Database) -> None:
    clock.set_now(START)
    with db.transaction() as s:
        actor, _ = corporate(s)
        user = s.get(AuthUser, actor.user_id)
        assert user is not None
        token, _ = sessions.start(s, user, rules_for(user.product))
    with TestClient(create_app(db, Settings())) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        got = client.get("/api/v1/corporate/contract").json()
        assert (got["term_end"], got["renews"]) == ("2027-01-14", True)
        assert got["accounts"][0]["representative"] is True
        assert client.post("/api/v1/corporate/contract/no-renewal").json()["renews"] is False
