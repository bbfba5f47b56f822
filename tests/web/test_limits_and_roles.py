"""Limit changes and corporate roles over the real HTTP API (XFER-6, AUTH-3, AUTH-6, PRD-4).

A limit change is two steps like a transfer: ``POST /limits/change`` checks the request and
hands out what the product's step-up asks (card cells for retail-001, an OTP for retail-003,
the confirmation password and an OTP for corporate-002); ``PUT /limits`` confirms with the
answers. A wrong answer counts once toward lockout; a missing card challenge counts nothing.
A corporate general user may not change limits nor act on other users' instructions.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kinko import clock
from kinko.auth import cards, enrolment, sessions, tokens
from kinko.auth import repository as auth_repo
from kinko.auth.models import AuthUser, SecretKind, TokenIssueReason, UserRole
from kinko.auth.otp import code_at
from kinko.auth.passwords import set_secret
from kinko.auth.policy import rules_for
from kinko.config import Settings
from kinko.db import Database
from kinko.ledger.models import Account
from kinko.web.app import create_app
from tests import factories
from tests.auth import builders
from tests.web.conftest import Customer

FRIDAY = datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST)
TUESDAY = date(2026, 11, 24)   # two business days on (11-23 is a holiday)
CONFIRM = builders.CONFIRM


def _key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def _failures(db: Database, user_id: int) -> int:
    with db.transaction() as s:
        user = s.get(AuthUser, user_id)
        assert user is not None
        return user.failure_count


def _limits(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/v1/limits")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _use(client: TestClient, response: Any) -> None:
    """A step-up rotates the session: carry on with the new token."""
    client.headers["Authorization"] = f"Bearer {response.json()['session_token']}"


def _problem(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


# --- retail-003: an OTP -----------------------------------------------------------------------

@pytest.mark.req("XFER-6")
@pytest.mark.req("AUTH-3")
def test_retail_003_changes_limits_with_an_otp_and_a_wrong_code_counts_once(
        customer: Customer, db: Database) -> None:
    # Lowering needs no second factor (XFER-6) ...
    lowered = customer.client.put("/api/v1/limits", json={"per_transaction": 1_000,
                                                           "daily": 1_000})
    assert lowered.status_code == 200, lowered.text
    before = _limits(customer.client)
    assert before == {"per_transaction": 1_000, "daily": 1_000}
    # ... raising does (AUTH-3): the plan names the OTP, a wrong code counts once.
    asked = customer.client.post("/api/v1/limits/change",
                                 json={"per_transaction": 5_000, "daily": 8_000})
    assert asked.status_code == 200, asked.text
    assert asked.json()["step_up"]["factors"] == ["otp"]
    wrong = customer.client.put("/api/v1/limits", json={
        "per_transaction": 5_000, "daily": 8_000, "otp_code": "000000"})
    assert wrong.status_code == 401
    assert _failures(db, customer.user_id) == 1
    assert _limits(customer.client) == before
    bare = customer.client.put("/api/v1/limits", json={"per_transaction": 5_000,
                                                       "daily": 8_000})
    assert bare.status_code in (401, 403)
    assert _limits(customer.client) == before
    done = customer.client.put("/api/v1/limits", json={
        "per_transaction": 5_000, "daily": 8_000, "otp_code": customer.otp(db)})
    assert done.status_code == 200, done.text
    assert customer.client.get("/api/v1/limits").status_code == 401   # the session rotated
    _use(customer.client, done)
    assert _limits(customer.client) == {"per_transaction": 5_000, "daily": 8_000}
    assert _failures(db, customer.user_id) == 0


@pytest.mark.req("XFER-6")
def test_a_limit_above_the_bank_maximum_is_refused_before_any_step_up(
        customer: Customer, db: Database) -> None:
    asked = customer.client.post("/api/v1/limits/change",
                                 json={"per_transaction": 10**9, "daily": 10**9})
    assert 400 <= asked.status_code < 500
    assert asked.headers["content-type"] == "application/problem+json"
    assert _failures(db, customer.user_id) == 0


# --- retail-001: confirmation-number card -----------------------------------------------------

@dataclass
class CardHolder:
    client: TestClient
    user_id: int
    grid: tuple[tuple[str, ...], ...]

    def answer(self, cells: list[str]) -> dict[str, str]:
        from kinko.auth.rules import parse_cell

        out = {}
        for cell in cells:
            r, c = parse_cell(cell, len(self.grid), len(self.grid[0]))
            out[cell] = self.grid[r][c]
        return out


@pytest.fixture
def card_holder(db: Database) -> Iterator[CardHolder]:
    clock.set_now(FRIDAY)
    with db.transaction() as s:
        user = builders.retail_001(s, member_number="87654321")
        issued = cards.issue_card(s, user, rules_for(user.product), actor="test")
        account = s.get(Account, factories.account(s, balance=100_000))
        assert account is not None
        account.customer_id = user.customer_id
        token, _ = sessions.start(s, user, rules_for(user.product))
        user_id = user.id
    with TestClient(create_app(db, Settings())) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield CardHolder(client, user_id, issued.grid)


@pytest.mark.req("XFER-6")
@pytest.mark.req("AUTH-3")
@pytest.mark.req("AUTH-6")
def test_retail_001_raises_its_limits_with_card_cells(card_holder: CardHolder,
                                                      db: Database) -> None:
    client = card_holder.client
    # Lowering needs no second factor (XFER-6): nothing is asked, the token is not rotated.
    lowered = client.put("/api/v1/limits", json={"per_transaction": 50_000, "daily": 60_000})
    assert lowered.status_code == 200, lowered.text
    assert "session_token" not in lowered.json()
    assert _limits(client) == {"per_transaction": 50_000, "daily": 60_000}
    plan = client.post("/api/v1/limits/change", json={"per_transaction": 100_000,
                                                      "daily": 200_000})
    step_up = plan.json()["step_up"]
    assert step_up["factors"] == ["card"] and len(step_up["card"]["cells"]) == 2
    done = client.put("/api/v1/limits", json={
        "per_transaction": 100_000, "daily": 200_000,
        "card_challenge_id": step_up["card"]["challenge_id"],
        "card_answers": card_holder.answer(step_up["card"]["cells"])})
    assert done.status_code == 200, done.text
    _use(client, done)
    assert _limits(client) == {"per_transaction": 100_000, "daily": 200_000}

    # Without a challenge nothing was asked, so nothing counts as a wrong entry.
    missing = client.put("/api/v1/limits", json={"per_transaction": 300_000, "daily": 300_000})
    _problem(missing, 403, "AUTH_STEP_UP_REQUIRED")
    assert _failures(db, card_holder.user_id) == 0

    raised = client.post("/api/v1/limits/change", json={"per_transaction": 300_000,
                                                        "daily": 300_000}).json()["step_up"]
    cells = raised["card"]["cells"]
    right = card_holder.answer(cells)
    wrong = {cell: f"{(int(v) + 1) % 100:02d}" for cell, v in right.items()}
    refused = client.put("/api/v1/limits", json={
        "per_transaction": 300_000, "daily": 300_000,
        "card_challenge_id": raised["card"]["challenge_id"], "card_answers": wrong})
    assert refused.status_code == 401
    assert _failures(db, card_holder.user_id) == 1          # one wrong answer, one count
    # The challenge was used up by the wrong answer: new cells are needed.
    again = client.put("/api/v1/limits", json={
        "per_transaction": 300_000, "daily": 300_000,
        "card_challenge_id": raised["card"]["challenge_id"], "card_answers": right})
    assert again.status_code == 401
    fresh = client.post("/api/v1/limits/change", json={"per_transaction": 300_000,
                                                       "daily": 300_000}).json()["step_up"]
    ok = client.put("/api/v1/limits", json={
        "per_transaction": 300_000, "daily": 300_000,
        "card_challenge_id": fresh["card"]["challenge_id"],
        "card_answers": card_holder.answer(fresh["card"]["cells"])})
    assert ok.status_code == 200, ok.text
    _use(client, ok)
    assert _limits(client) == {"per_transaction": 300_000, "daily": 300_000}
    assert _failures(db, card_holder.user_id) == 0


@pytest.mark.req("AUTH-3")
def test_card_cells_for_one_limit_change_do_not_confirm_another(card_holder: CardHolder,
                                                               db: Database) -> None:
    client = card_holder.client
    assert client.put("/api/v1/limits", json={"per_transaction": 500,
                                              "daily": 500}).status_code == 200
    before = _limits(client)
    step_up = client.post("/api/v1/limits/change", json={"per_transaction": 1_000,
                                                         "daily": 1_000}).json()["step_up"]
    other = client.put("/api/v1/limits", json={
        "per_transaction": 2_000, "daily": 2_000,
        "card_challenge_id": step_up["card"]["challenge_id"],
        "card_answers": card_holder.answer(step_up["card"]["cells"])})
    assert other.status_code == 401
    assert _limits(client) == before


# --- corporate-002: master and general users ---------------------------------------------------

@dataclass
class Corporate:
    master: TestClient
    general: TestClient
    master_id: int
    general_id: int
    account_id: int
    payee: tuple[str, str]
    serials: dict[int, str]

    def otp(self, db: Database, user_id: int) -> str:
        with db.transaction() as s:
            token = auth_repo.token_by_serial(s, self.serials[user_id])
            assert token is not None
            return code_at(token, clock.now())

    def step_up(self, db: Database, user_id: int) -> dict[str, str]:
        return {"confirmation_password": CONFIRM, "otp_code": self.otp(db, user_id)}


def _ready(s: Any, user: AuthUser, login_id: str) -> None:
    user.login_id = login_id
    set_secret(s, user, SecretKind.LOGIN_PASSWORD, builders.PASSWORD)
    set_secret(s, user, SecretKind.CONFIRMATION_PASSWORD, CONFIRM)
    user.must_change_password = user.must_change_login_id = False
    user.must_change_confirmation_password = False


@pytest.fixture
def corporate(db: Database) -> Iterator[Corporate]:
    clock.set_now(FRIDAY)
    with db.transaction() as s:
        corp = builders.corporate(s, balance=1_000_000)
        master = corp.master
        general = enrolment.add_corporate_user(
            s, contract_id=master.contract_id, role=UserRole.GENERAL, login_id="ippan001",
            temporary_login_password="Kari3Login", temporary_confirmation_password="Kari4Kaku",
            actor="test")
        _ready(s, master, "master01")
        _ready(s, general, "ippan001")
        # PRD-4: the general user is granted balances, statements and transfers on the account.
        from kinko.corporate import service as corporate_service
        from kinko.corporate.rules import parse_services
        from kinko.instructions.service import Actor

        corporate_service.set_grants(
            s, Actor(master.id, master.contract_id, master.customer_id), general.id,
            services=parse_services("ABCD"), per_transaction=None, daily=None,
            account_ids=[corp.account_id])
        income = factories.account(s)
        serials = {master.id: f"M{master.id:07d}", general.id: f"G{general.id:07d}"}
        for user in (master, general):
            tokens.issue_hard_token(
                s, contract_id=master.contract_id, serial=serials[user.id],
                reason=TokenIssueReason.INITIAL, user_id=user.id, activate=True,
                fee_accounts=tokens.FeeAccounts(income_account_id=income), actor="test")
        target = s.get(Account, factories.account(s, holder="ｻﾄｳ ﾊﾅｺ"))
        assert target is not None
        payee = (target.branch_code, target.number)
        contract = auth_repo.contract(s, master.contract_id)
        assert contract is not None
        rules = rules_for(master.product, contract.course)
        master_token, _ = sessions.start(s, master, rules)
        general_token, _ = sessions.start(s, general, rules)
        ids = (master.id, general.id, corp.account_id)
    app = create_app(db, Settings())
    with TestClient(app) as m, TestClient(app) as g:
        m.headers["Authorization"] = f"Bearer {master_token}"
        g.headers["Authorization"] = f"Bearer {general_token}"
        yield Corporate(m, g, ids[0], ids[1], ids[2], payee, serials)


def _future_transfer(corp: Corporate, db: Database, client: TestClient, user_id: int
                     ) -> tuple[int, TestClient]:
    entered = client.post("/api/v1/transfers", headers=_key(), json={
        "from_account_id": corp.account_id, "amount": 10_000, "bank_code": "0999",
        "branch_code": corp.payee[0], "account_type": "ordinary", "number": corp.payee[1],
        "value_date": TUESDAY.isoformat()})
    assert entered.status_code == 201, entered.text
    assert entered.json()["step_up"]["factors"] == ["confirmation_password", "otp"]
    done = client.post(f"/api/v1/transfers/{entered.json()['id']}/confirm", headers=_key(),
                       json=corp.step_up(db, user_id))
    assert done.status_code == 200, done.text
    assert done.json()["instruction"]["status"] == "accepted"
    _use(client, done)
    return entered.json()["id"], client


@pytest.mark.req("PRD-4")
@pytest.mark.req("XFER-5")
def test_a_general_user_cannot_cancel_the_masters_transfer(corporate: Corporate,
                                                           db: Database) -> None:
    masters, _ = _future_transfer(corporate, db, corporate.master, corporate.master_id)
    refused = corporate.general.post(f"/api/v1/transfers/{masters}/cancel")
    _problem(refused, 403, "AUTH_ROLE_NOT_ALLOWED")
    [listed] = corporate.master.get("/api/v1/instructions").json()["instructions"]
    assert listed["id"] == masters and listed["status"] == "accepted"
    # ... nor see it: a general user's list holds its own instructions only.
    assert corporate.general.get("/api/v1/instructions").json()["instructions"] == []

    generals, _ = _future_transfer(corporate, db, corporate.general, corporate.general_id)
    seen = corporate.general.get("/api/v1/instructions").json()["instructions"]
    assert [i["id"] for i in seen] == [generals]
    # A general user cancels its own; the master may cancel any user's.
    own = corporate.general.post(f"/api/v1/transfers/{generals}/cancel")
    assert own.status_code == 200 and own.json()["status"] == "cancelled"
    by_master = corporate.master.post(f"/api/v1/transfers/{masters}/cancel")
    assert by_master.status_code == 200 and by_master.json()["status"] == "cancelled"


@pytest.mark.req("PRD-4")
@pytest.mark.req("XFER-6")
def test_a_general_user_cannot_change_limits_even_with_its_second_factor(
        corporate: Corporate, db: Database) -> None:
    before = _limits(corporate.master)
    for for_user in (False, True):
        body = {"per_transaction": 1, "daily": 1, "for_user": for_user}
        _problem(corporate.general.post("/api/v1/limits/change", json=body), 403,
                 "AUTH_ROLE_NOT_ALLOWED")
        _problem(corporate.general.put(
            "/api/v1/limits", json=body | corporate.step_up(db, corporate.general_id)),
            403, "AUTH_ROLE_NOT_ALLOWED")
    assert _limits(corporate.master) == before
    assert _failures(db, corporate.general_id) == 0
    # The master lowers the contract's limits freely and raises them with its confirmation
    # password and an OTP.
    assert corporate.master.put("/api/v1/limits", json={"per_transaction": 10_000,
                                                        "daily": 10_000}).status_code == 200
    asked = corporate.master.post("/api/v1/limits/change",
                                  json={"per_transaction": 50_000, "daily": 80_000})
    assert asked.json()["step_up"]["factors"] == ["confirmation_password", "otp"]
    bare = corporate.master.put("/api/v1/limits",
                                json={"per_transaction": 50_000, "daily": 80_000})
    assert bare.status_code in (401, 403)
    done = corporate.master.put("/api/v1/limits", json={
        "per_transaction": 50_000, "daily": 80_000}
        | corporate.step_up(db, corporate.master_id))
    assert done.status_code == 200, done.text
    _use(corporate.master, done)
    assert _limits(corporate.master) == {"per_transaction": 50_000, "daily": 80_000}
    assert _limits(corporate.general) == {"per_transaction": 50_000, "daily": 80_000}
