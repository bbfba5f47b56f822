"""A one-time answer is spent even when the confirmation it was given for fails (AUTH-5;
issue 9 finding 6): a code that met a refused confirmation (funds short, rolled back) must not
confirm another instruction afterwards."""

from __future__ import annotations

import uuid

import pytest

from kinko.db import Database
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
    too_much = _enter(customer, 500_000)          # the balance is 100,000
    code = customer.otp(db)
    failed = customer.client.post(f"/api/v1/transfers/{too_much}/confirm",
                                  json={"otp_code": code}, headers=_key())
    assert failed.status_code == 409, failed.text
    assert failed.headers["content-type"] == "application/problem+json"
    # The step-up happened (and rotated the session): the problem carries the new token.
    token = failed.json()["session_token"]
    assert customer.client.get("/api/v1/accounts").status_code == 401
    customer.client.headers["Authorization"] = f"Bearer {token}"
    assert _balance(customer) == 100_000          # nothing moved

    other = _enter(customer, 1_000)
    replay = customer.client.post(f"/api/v1/transfers/{other}/confirm",
                                  json={"otp_code": code}, headers=_key())
    assert replay.status_code == 401, replay.text  # the same code, same time step: spent
    assert _balance(customer) == 100_000
    listed = {i["id"]: i["status"]
              for i in customer.client.get("/api/v1/instructions").json()["instructions"]}
    assert listed[other] == "entered"
