"""The hot path's statement budgets, over the real app and HTTP (issue 8 item 5).

Each request below is counted with :mod:`tests.querycount` (BEGIN, COMMIT and savepoints are
not counted) on both backends, so that a change that adds a round trip to a hot request
fails here instead of showing up as a slower bank. The counts are the budgets: lower them
when a statement goes, never raise them without a reason written next to the number.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from kinko import clock
from kinko.auth.crypto import CHEAP_FOR_TESTS, SecretHasher, use_hasher
from kinko.config import Settings
from kinko.db import Database
from kinko.web import demo_users as du
from kinko.web.app import create_app
from tests.e2e.support import T0, build_demo
from tests.querycount import Statements, counting
from tests.web.conftest import Customer

# Confirm: PostgreSQL posts an entry in one statement (the ledger's CTE) and spends the
# one-time password with the session's rotation, and records the idempotency key with the
# instruction's move, each in one statement (data-modifying CTEs). SQLite has no
# data-modifying CTEs; it does each of the three as one INSERT into a view whose INSTEAD OF
# trigger makes the same checks and writes (migration 0020). PostgreSQL writes the notice's
# outbox row (and at entry the card challenge) with the audit events, in one statement
# (kinko.db.write_behind); SQLite takes one INSERT per table: one statement more there.
BUDGETS = {
    "balance": {"sqlite": 2, "postgresql": 2},
    "enter": {"sqlite": 6, "postgresql": 6},
    "confirm": {"sqlite": 8, "postgresql": 7},
    "login": {"sqlite": 6, "postgresql": 6},
    "enter_card": {"sqlite": 5, "postgresql": 4},
    "confirm_card": {"sqlite": 9, "postgresql": 7},
}


def _key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def _within(name: str, db: Database, found: Statements) -> None:
    budget = BUDGETS[name][db.dialect]
    assert found.count <= budget, f"{name}: {found.count} statements > {budget}\n{found}"


def _transfer(c: Customer) -> dict[str, object]:
    return {"from_account_id": c.account_id, "amount": 10_000, "bank_code": "0999",
            "branch_code": c.payee[0], "account_type": "ordinary", "number": c.payee[1]}


def test_a_balance_inquiry_costs_its_budget(customer: Customer, db: Database) -> None:
    customer.client.get("/api/v1/accounts")  # the session's once-a-minute touch, first
    with counting(db.engine) as found:
        response = customer.client.get("/api/v1/accounts")
    assert response.status_code == 200, response.text
    assert response.json()["accounts"][0]["balance"] == 100_000
    _within("balance", db, found)


def test_entering_and_confirming_a_transfer_cost_their_budgets(customer: Customer,
                                                               db: Database) -> None:
    with counting(db.engine) as entering:
        quote = customer.client.post("/api/v1/transfers", json=_transfer(customer),
                                     headers=_key())
    assert quote.status_code == 201, quote.text
    _within("enter", db, entering)
    otp = customer.otp(db)
    with counting(db.engine) as confirming:
        done = customer.client.post(f"/api/v1/transfers/{quote.json()['id']}/confirm",
                                    json={"otp_code": otp}, headers=_key())
    assert done.status_code == 200, done.text
    assert done.json()["instruction"]["status"] == "executed"
    _within("confirm", db, confirming)
    # The counted requests did their whole work: the money moved and every event was kept.
    customer.client.headers["Authorization"] = f"Bearer {done.json()['session_token']}"
    [account] = customer.client.get("/api/v1/accounts").json()["accounts"]
    assert account["balance"] == 90_000
    # The buffered rows' statement (the ledger's own statement writes its entry's event).
    actions = [s for s in confirming.seen if s.lstrip().upper().startswith(
        ("INSERT INTO AUDIT_EVENTS", "WITH W0 AS (INSERT INTO"))]
    assert len(actions) == 1, "the request's audit events go in one INSERT"
    if db.dialect == "postgresql":
        # … with the notice's outbox row, in the same statement (kinko.db.write_behind).
        assert "INSERT INTO OUTBOX" in actions[0].upper(), actions[0]


def test_an_entry_above_the_withdrawable_is_refused_within_its_budget(customer: Customer,
                                                                      db: Database) -> None:
    """Issue 10: the API refuses at entry what the account cannot pay today, as the page
    does, with problem+json naming the amounts, and keeps no draft; no extra statement."""
    body = _transfer(customer) | {"amount": 150_000}
    with counting(db.engine) as entering:
        refused = customer.client.post("/api/v1/transfers", json=body, headers=_key())
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert problem["code"] == "INSUFFICIENT_FUNDS"
    assert problem["message_en"] == "The withdrawable amount is not sufficient."
    assert (problem["withdrawable"], problem["needed"]) == (100_000, 150_000)
    _within("enter", db, entering)
    assert customer.client.get("/api/v1/instructions").json()["instructions"] == []
    [account] = customer.client.get("/api/v1/accounts").json()["accounts"]
    assert account["balance"] == 100_000


@pytest.fixture
def demo_api(db: Database) -> Iterator[TestClient]:
    clock.set_now(T0)
    with use_hasher(SecretHasher(CHEAP_FOR_TESTS)):
        build_demo(db)
        with TestClient(create_app(db, Settings()),
                        headers={"Accept": "application/json"}) as client:
            yield client


def test_a_login_costs_its_budget(demo_api: TestClient, db: Database) -> None:
    with counting(db.engine) as found:
        response = demo_api.post("/api/v1/auth/login/retail-001", json={
            "member_number": du.YAMADA_MEMBER_NUMBER, "password": du.YAMADA_PASSWORD})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "logged_in"
    _within("login", db, found)


def test_a_card_confirmation_costs_its_budget(db: Database) -> None:
    """The `kinko bench api` path: retail-001 enters a transfer to its registered payee and
    confirms it with its confirmation-number card. The registered payee is read with its
    branch, its account, the chosen limits and the source account in one statement; the card
    challenge is written with the audit events; right answers spend it in the session's
    rotation statement on PostgreSQL (SQLite: a conditional UPDATE of its own)."""
    from kinko.bench.api import _open_bank, bench_moment

    clock.set_now(bench_moment(T0))
    with use_hasher(SecretHasher(CHEAP_FOR_TESTS)), db.transaction() as session:
        [setup] = _open_bank(session, 1)
    with TestClient(create_app(db, Settings()), headers={
            "Accept": "application/json", "Authorization": f"Bearer {setup.token}"}) as client:
        with counting(db.engine) as entering:
            quote = client.post("/api/v1/transfers", headers=_key(), json={
                "from_account_id": setup.account_id, "amount": 1_000,
                "payee_id": setup.payee_id})
        assert quote.status_code == 201, quote.text
        card = quote.json()["step_up"]["card"]
        with counting(db.engine) as confirming:
            done = client.post(f"/api/v1/transfers/{quote.json()['id']}/confirm",
                               headers=_key(), json={
                                   "card_challenge_id": card["challenge_id"],
                                   "card_answers": {c: setup.card[c] for c in card["cells"]}})
    assert done.status_code == 200, done.text
    assert done.json()["instruction"]["status"] == "executed"
    _within("enter_card", db, entering)
    _within("confirm_card", db, confirming)
    # A confirmation that goes through opens no savepoint (two round trips): only a refused
    # one is undone, by rolling the whole transaction back (web.stepup.after_step_up).
    assert not [f for f in confirming.frames if "SAVEPOINT" in f.upper()], confirming.frames
