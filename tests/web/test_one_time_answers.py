"""A one-time answer is spent even when the confirmation it was given for fails (AUTH-5;
issue 9 finding 6): a code that met a refused confirmation (funds short, rolled back) must not
confirm another instruction afterwards."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kinko import clock
from kinko.auth import cards
from kinko.auth import repository as auth_repo
from kinko.config import Settings
from kinko.db import Database
from kinko.ledger.books import book
from kinko.ledger.models import Account
from kinko.ledger.rules import Leg
from kinko.ledger.service import EntryRequest, post
from kinko.web import demo_users as du
from kinko.web.app import create_app
from tests.e2e.support import T0, build_demo
from tests.web.conftest import Customer


def _key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def _enter(c: Customer, amount: int) -> int:
    response = c.client.post("/api/v1/transfers", headers=_key(), json={
        "from_account_id": c.account_id, "amount": amount, "bank_code": "0999",
        "branch_code": c.payee[0], "account_type": "ordinary", "number": c.payee[1]})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _balance(c: Customer) -> int:
    [account] = c.client.get("/api/v1/accounts").json()["accounts"]
    return int(account["balance"])


@pytest.mark.req("AUTH-5")
def test_an_otp_spent_on_a_failed_confirmation_confirms_nothing_else(customer: Customer,
                                                                     db: Database) -> None:
    too_much = _enter(customer, 90_000)           # the balance is 100,000 at entry …
    with db.transaction() as s:                   # … and 50,000 at the confirmation
        post(s, EntryRequest(kind="withdrawal", legs=[
            Leg(customer.account_id, -50_000, "ATM"), Leg(book(s, "clearing"), 50_000, "ATM")]),
            actor="test")
    code = customer.otp(db)
    failed = customer.client.post(f"/api/v1/transfers/{too_much}/confirm",
                                  json={"otp_code": code}, headers=_key())
    assert failed.status_code == 409, failed.text
    assert failed.headers["content-type"] == "application/problem+json"
    # The step-up happened (and rotated the session): the problem carries the new token.
    token = failed.json().get("session_token")
    if token:
        assert customer.client.get("/api/v1/accounts").status_code == 401
        customer.client.headers["Authorization"] = f"Bearer {token}"
    assert _balance(customer) == 50_000           # nothing moved

    other = _enter(customer, 1_000)
    replay = customer.client.post(f"/api/v1/transfers/{other}/confirm",
                                  json={"otp_code": code}, headers=_key())
    assert replay.status_code == 401, replay.text  # the same code, same time step: spent
    assert _balance(customer) == 50_000
    listed = {i["id"]: i["status"]
              for i in customer.client.get("/api/v1/instructions").json()["instructions"]}
    assert listed[other] == "entered"
    assert token


@pytest.mark.req("AUTH-5")
@pytest.mark.req("AUTH-1")
def test_card_cells_answered_for_a_failed_confirmation_are_used_up(db: Database) -> None:
    """retail-001: the card challenge answered for a confirmation that fails (funds short,
    or the day's limit) is consumed; the same challenge and answers again confirm nothing."""
    clock.set_now(T0)
    demo = build_demo(db)
    yamada = demo.user(du.YAMADA_MEMBER_NUMBER).user_id
    with db.transaction() as s:
        card = auth_repo.active_card(s, yamada)
        assert card is not None
        grid = cards._grid(card)
        sato = s.get(Account, demo.ids["sato_ordinary"])
        assert sato is not None
        payee = {"bank_code": "0999", "branch_code": sato.branch_code,
                 "account_type": "ordinary", "number": sato.number}
    with TestClient(create_app(db, Settings()), headers={"Accept": "application/json"}
                    ) as client:
        logged_in = client.post("/api/v1/auth/login/retail-001", json={
            "member_number": du.YAMADA_MEMBER_NUMBER, "password": du.YAMADA_PASSWORD})
        assert logged_in.status_code == 200, logged_in.text
        client.headers["Authorization"] = f"Bearer {logged_in.json()['session_token']}"

        def enter(amount: int) -> dict[str, Any]:
            quote = client.post("/api/v1/transfers", headers=_key(), json={
                "from_account_id": demo.ids["yamada_ordinary"], "amount": amount, **payee})
            assert quote.status_code == 201, quote.text
            return quote.json()  # type: ignore[no-any-return]

        def answers(cells: list[str]) -> dict[str, str]:
            return {cell: grid[int(cell[1:]) - 1][ord(cell[0]) - ord("A")] for cell in cells}

        first, too_much = enter(300_000), enter(300_000)   # the balance is about 580,000
        done = client.post(f"/api/v1/transfers/{first['id']}/confirm", headers=_key(), json={
            "card_challenge_id": first["step_up"]["card"]["challenge_id"],
            "card_answers": answers(first["step_up"]["card"]["cells"])})
        assert done.status_code == 200, done.text
        client.headers["Authorization"] = f"Bearer {done.json()['session_token']}"
        challenge = too_much["step_up"]["card"]
        body = {"card_challenge_id": challenge["challenge_id"],
                "card_answers": answers(challenge["cells"])}
        failed = client.post(f"/api/v1/transfers/{too_much['id']}/confirm", json=body,
                             headers=_key())
        assert failed.status_code == 409, failed.text
        client.headers["Authorization"] = f"Bearer {failed.json()['session_token']}"
        # The same answered challenge again, for the same instruction: used up.
        again = client.post(f"/api/v1/transfers/{too_much['id']}/confirm", json=body,
                            headers=_key())
        assert again.status_code == 401, again.text
    with db.transaction() as s:
        used = auth_repo.challenge(s, challenge["challenge_id"])
        assert used is not None and used.consumed_at is not None
