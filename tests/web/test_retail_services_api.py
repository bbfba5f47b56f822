"""Pay-easy, time deposits and debit cards over HTTP (PAY-1, TD-1, DEB-1): step-up bound to
each instruction, problem+json for every refusal, nothing booked by a refused request, and
another customer's deposit, card or instruction is "not found"."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from kinko import clock
from kinko.auth import otp
from kinko.auth import repository as auth_repo
from kinko.db import Database
from kinko.ledger.books import ensure_books
from kinko.payeasy.seed import seed_demo
from tests.web.conftest import Customer, login

API = "/api/v1"
ELECTRICITY = {"agency_code": "12345", "customer_number": "10000000000000000001",
               "confirmation_number": "123456"}
OVERDUE = {"agency_code": "12345", "customer_number": "10000000000000000002",
           "confirmation_number": "654321"}
WITHDRAWN = {"agency_code": "23456", "customer_number": "2000000009",
             "confirmation_number": "9999"}
CARD = "4111111111111111"
OTHER_CARD = "5555555555554444"


def _key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


@pytest.fixture
def bills(customer: Customer, db: Database) -> dict[str, int]:
    ids: dict[str, int] = {}
    with db.transaction() as s:
        books = ensure_books(s)
        ids.update(books)
        seed_demo(s, ids)
    return ids


def _otp(c: Customer, db: Database) -> str:
    """A code of the next time step: a code is accepted once only within its step."""
    clock.advance(timedelta(seconds=60))
    return c.otp(db)


def _problem(response: Any, status: int, code: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    if code is not None:
        assert response.json()["code"] == code, response.text


def _follow(c: Customer, response: Any) -> None:
    """A confirmation refused after its step-up still spent it and rotated the session
    (AUTH-5): its problem carries the new token."""
    token = response.json().get("session_token")
    if token:
        c.client.headers["Authorization"] = f"Bearer {token}"


def _balance(c: Customer) -> int:
    accounts = c.client.get(f"{API}/accounts").json()["accounts"]
    [account] = [a for a in accounts if a["account_id"] == c.account_id]
    return account["balance"]  # type: ignore[no-any-return]


def _instructions(c: Customer) -> list[dict[str, Any]]:
    return c.client.get(f"{API}/instructions").json()["instructions"]  # type: ignore[no-any-return]


def _confirmed(c: Customer, path: str, db: Database, **body: object) -> dict[str, Any]:
    """Confirm with a fresh OTP and carry on with the rotated session token."""
    done = c.client.post(path, json={"otp_code": _otp(c, db), **body}, headers=_key())
    assert done.status_code in (200, 201), done.text
    c.client.headers["Authorization"] = f"Bearer {done.json()['session_token']}"
    return done.json()  # type: ignore[no-any-return]


def _enter_payment(c: Customer, codes: dict[str, str] = ELECTRICITY) -> dict[str, Any]:
    response = c.client.post(f"{API}/payeasy/payments", headers=_key(),
                             json={"from_account_id": c.account_id, **codes})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _open_deposit(c: Customer, db: Database, amount: int = 50_000) -> int:
    quote = c.client.post(f"{API}/time-deposits", headers=_key(), json={
        "from_account_id": c.account_id, "amount": amount, "term_months": 12})
    assert quote.status_code == 201, quote.text
    _confirmed(c, f"{API}/time-deposits/{quote.json()['id']}/confirm", db)
    [deposit] = c.client.get(f"{API}/time-deposits").json()["time_deposits"]
    return deposit["id"]  # type: ignore[no-any-return]


def _register(c: Customer, db: Database, number: str = CARD) -> dict[str, Any]:
    done = _confirmed(c, f"{API}/debit-cards", db, account_id=c.account_id, card_number=number)
    return done["debit_card"]  # type: ignore[no-any-return]


# --- Pay-easy ---------------------------------------------------------------------------------

@pytest.mark.req("PAY-1")
def test_pay_a_bill_with_otp(customer: Customer, db: Database, bills: dict[str, int]) -> None:
    agencies = customer.client.get(f"{API}/payeasy/agencies").json()["agencies"]
    assert {a["code"] for a in agencies} >= {"12345", "23456", "34567", "45678"}
    bill = customer.client.get(f"{API}/payeasy/bills/lookup", params=ELECTRICITY).json()
    assert bill["amount"] == 8_640 and bill["state"] == "unpaid"
    quote = _enter_payment(customer)
    assert quote["status"] == "entered" and quote["amount"] == 8_640
    assert quote["details"]["bill"]["id"] == bills["bill_electricity"]
    assert quote["step_up"]["factors"] == ["otp"]
    assert _balance(customer) == 100_000
    done = _confirmed(customer, f"{API}/payeasy/payments/{quote['id']}/confirm", db)
    assert done["instruction"]["status"] == "executed"
    assert _balance(customer) == 100_000 - 8_640
    bill = customer.client.get(f"{API}/payeasy/bills/lookup", params=ELECTRICITY).json()
    assert bill["state"] == "paid"
    again = customer.client.post(f"{API}/payeasy/payments", headers=_key(),
                                 json={"from_account_id": customer.account_id, **ELECTRICITY})
    _problem(again, 409, "PAYEASY_BILL_ALREADY_PAID")
    assert _balance(customer) == 100_000 - 8_640


@pytest.mark.req("PAY-1")
def test_confirm_retried_with_the_same_key_pays_once(customer: Customer, db: Database,
                                                     bills: dict[str, int]) -> None:
    quote = _enter_payment(customer)
    key = _key()
    path = f"{API}/payeasy/payments/{quote['id']}/confirm"
    first = customer.client.post(path, json={"otp_code": _otp(customer, db)}, headers=key)
    assert first.status_code == 200, first.text
    customer.client.headers["Authorization"] = f"Bearer {first.json()['session_token']}"
    again = customer.client.post(path, json={"otp_code": "whatever"}, headers=key)
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert _balance(customer) == 100_000 - 8_640


@pytest.mark.req("PAY-1")
def test_wrong_otp_is_refused_and_nothing_is_booked(customer: Customer, db: Database,
                                                    bills: dict[str, int]) -> None:
    quote = _enter_payment(customer)
    wrong = customer.client.post(f"{API}/payeasy/payments/{quote['id']}/confirm",
                                 json={"otp_code": "000000"}, headers=_key())
    _problem(wrong, 401)
    assert _balance(customer) == 100_000
    bill = customer.client.get(f"{API}/payeasy/bills/lookup", params=ELECTRICITY).json()
    assert bill["state"] == "unpaid"
    assert [i["status"] for i in _instructions(customer)] == ["entered"]


@pytest.mark.req("PAY-1")
@pytest.mark.parametrize(("params", "status", "code"), [
    ({}, 422, "VALIDATION_FAILED"),
    ({**ELECTRICITY, "agency_code": "abc"}, 422, "PAYEASY_INVALID_CODE"),
    ({**ELECTRICITY, "agency_code": "99999"}, 422, "PAYEASY_UNKNOWN_AGENCY"),
    ({**ELECTRICITY, "confirmation_number": "111111"}, 422, "PAYEASY_BILL_NOT_FOUND"),
    ({**ELECTRICITY, "customer_number": "1" * 41}, 422, "VALIDATION_FAILED"),
])
def test_bad_lookup_is_a_problem(customer: Customer, bills: dict[str, int],
                                 params: dict[str, str], status: int, code: str) -> None:
    _problem(customer.client.get(f"{API}/payeasy/bills/lookup", params=params), status, code)


@pytest.mark.req("PAY-1")
@pytest.mark.parametrize(("body", "status", "code"), [
    ({"from_account_id": 999_999}, 404, "ACCOUNT_NOT_FOUND"),
    ({"from_account_id": "x"}, 422, "VALIDATION_FAILED"),
    ({"agency_code": None}, 422, "VALIDATION_FAILED"),
    ({"agency_code": "99999"}, 422, "PAYEASY_UNKNOWN_AGENCY"),
    ({"customer_number": "12-ab"}, 422, "PAYEASY_INVALID_CODE"),
    ({"confirmation_number": "000000"}, 422, "PAYEASY_BILL_NOT_FOUND"),
    (OVERDUE, 409, "PAYEASY_BILL_OVERDUE"),
    (WITHDRAWN, 409, "PAYEASY_BILL_CANCELLED"),
])
def test_bad_payment_input_is_a_problem_and_books_nothing(
        customer: Customer, bills: dict[str, int], body: dict[str, object], status: int,
        code: str) -> None:
    full = {"from_account_id": customer.account_id, **ELECTRICITY, **body}
    response = customer.client.post(f"{API}/payeasy/payments", json=full, headers=_key())
    _problem(response, status, code)
    assert _instructions(customer) == []
    assert _balance(customer) == 100_000


@pytest.mark.req("PAY-1")
def test_confirming_something_else_as_a_payment_is_not_found(
        customer: Customer, db: Database, bills: dict[str, int]) -> None:
    deposit = customer.client.post(f"{API}/time-deposits", headers=_key(), json={
        "from_account_id": customer.account_id, "amount": 10_000, "term_months": 1}).json()
    for path in (f"{API}/payeasy/payments/{deposit['id']}/confirm",
                 f"{API}/payeasy/payments/999999/confirm"):
        response = customer.client.post(path, json={"otp_code": _otp(customer, db)},
                                        headers=_key())
        _problem(response, 404, "INSTRUCTION_NOT_FOUND")
        _follow(customer, response)
    assert _balance(customer) == 100_000
    assert customer.client.get(f"{API}/time-deposits").json()["time_deposits"] == []


# --- time deposits ------------------------------------------------------------------------

@pytest.mark.req("TD-1")
def test_open_a_time_deposit_and_cancel_it_early(customer: Customer, db: Database) -> None:
    quote = customer.client.post(f"{API}/time-deposits", headers=_key(), json={
        "from_account_id": customer.account_id, "amount": 50_000, "term_months": 12})
    assert quote.status_code == 201, quote.text
    details = quote.json()["details"]
    assert details["term_months"] == 12 and details["maturity_date"] == "2027-11-20"
    assert quote.json()["step_up"]["factors"] == ["otp"]
    assert _balance(customer) == 100_000
    opened = _confirmed(customer, f"{API}/time-deposits/{quote.json()['id']}/confirm", db)
    assert opened["instruction"]["status"] == "executed"
    assert _balance(customer) == 50_000
    [deposit] = customer.client.get(f"{API}/time-deposits").json()["time_deposits"]
    assert deposit["state"] == "active" and deposit["principal"] == 50_000

    cancel = customer.client.post(f"{API}/time-deposits/{deposit['id']}/cancellation",
                                  headers=_key())
    assert cancel.status_code == 201, cancel.text
    assert cancel.json()["details"]["payout"] == 50_000  # same day: no interest
    assert cancel.json()["step_up"]["factors"] == ["otp"]
    wrong = customer.client.post(
        f"{API}/time-deposits/cancellations/{cancel.json()['id']}/confirm",
        json={"otp_code": "000000"}, headers=_key())
    _problem(wrong, 401)
    assert _balance(customer) == 50_000
    done = _confirmed(customer,
                      f"{API}/time-deposits/cancellations/{cancel.json()['id']}/confirm", db)
    assert done["instruction"]["status"] == "executed"
    assert _balance(customer) == 100_000
    [deposit] = customer.client.get(f"{API}/time-deposits").json()["time_deposits"]
    assert deposit["state"] == "cancelled" and deposit["closed_on"] == "2026-11-20"
    again = customer.client.post(f"{API}/time-deposits/{deposit['id']}/cancellation",
                                 headers=_key())
    _problem(again, 409, "TD_NOT_ACTIVE")


@pytest.mark.req("TD-1")
@pytest.mark.parametrize(("body", "status", "code"), [
    ({"term_months": 5}, 422, "TD_INVALID_TERM"),
    ({"term_months": "long"}, 422, "VALIDATION_FAILED"),
    ({"amount": 999}, 422, "TD_PRINCIPAL_TOO_SMALL"),
    ({"amount": "abc"}, 422, "VALIDATION_FAILED"),
    ({"amount": -1}, 422, "VALIDATION_FAILED"),
    ({"amount": 1.5}, 422, "VALIDATION_FAILED"),
    ({"from_account_id": 999_999}, 404, "ACCOUNT_NOT_FOUND"),
    ({"amount": 200_000}, None, None),
])
def test_bad_time_deposit_input_is_a_problem_and_books_nothing(
        customer: Customer, db: Database, body: dict[str, object], status: int | None,
        code: str | None) -> None:
    full = {"from_account_id": customer.account_id, "amount": 10_000, "term_months": 3, **body}
    response = customer.client.post(f"{API}/time-deposits", json=full, headers=_key())
    if status is None:  # more than the balance: refused at confirmation, nothing moves
        assert response.status_code == 201
        refused = customer.client.post(f"{API}/time-deposits/{response.json()['id']}/confirm",
                                       json={"otp_code": _otp(customer, db)}, headers=_key())
        _problem(refused, 409)
        _follow(customer, refused)
        assert customer.client.get(f"{API}/time-deposits").json()["time_deposits"] == []
    else:
        _problem(response, status, code)
        assert _instructions(customer) == []
    assert _balance(customer) == 100_000


@pytest.mark.req("TD-1")
def test_bad_time_deposit_ids_are_not_found(customer: Customer, db: Database) -> None:
    for path in (f"{API}/time-deposits/999999/confirm",
                 f"{API}/time-deposits/cancellations/999999/confirm"):
        response = customer.client.post(path, json={"otp_code": _otp(customer, db)},
                                        headers=_key())
        _problem(response, 404, "INSTRUCTION_NOT_FOUND")
    _problem(customer.client.post(f"{API}/time-deposits/999999/cancellation", headers=_key()),
             404, "TD_NOT_FOUND")
    _problem(customer.client.post(f"{API}/time-deposits/abc/cancellation", headers=_key()),
             422, "VALIDATION_FAILED")
    assert _balance(customer) == 100_000


# --- debit cards ----------------------------------------------------------------------------

@pytest.mark.req("DEB-1")
def test_register_and_cancel_a_debit_card(customer: Customer, db: Database) -> None:
    wrong = customer.client.post(f"{API}/debit-cards", headers=_key(), json={
        "account_id": customer.account_id, "card_number": CARD, "otp_code": "000000"})
    _problem(wrong, 401)
    assert customer.client.get(f"{API}/debit-cards").json()["debit_cards"] == []
    card = _register(customer, db)
    assert card["state"] == "active" and card["last4"] == "1111"
    assert CARD not in str(card)
    [listed] = customer.client.get(f"{API}/debit-cards").json()["debit_cards"]
    assert listed["id"] == card["id"]
    second = customer.client.post(f"{API}/debit-cards", headers=_key(), json={
        "account_id": customer.account_id, "card_number": OTHER_CARD,
        "otp_code": _otp(customer, db)})
    _problem(second, 409, "DEBIT_ACCOUNT_HAS_CARD")
    _follow(customer, second)
    cancelled = customer.client.post(f"{API}/debit-cards/{card['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["debit_card"]["state"] == "cancelled"
    _problem(customer.client.post(f"{API}/debit-cards/{card['id']}/cancel"), 409,
             "DEBIT_CARD_NOT_ACTIVE")


@pytest.mark.req("DEB-1")
def test_registration_retried_with_the_same_key_registers_once(customer: Customer,
                                                               db: Database) -> None:
    key = _key()
    body = {"account_id": customer.account_id, "card_number": CARD}
    first = customer.client.post(f"{API}/debit-cards", headers=key,
                                 json={**body, "otp_code": _otp(customer, db)})
    assert first.status_code == 201, first.text
    customer.client.headers["Authorization"] = f"Bearer {first.json()['session_token']}"
    again = customer.client.post(f"{API}/debit-cards", headers=key,
                                 json={**body, "otp_code": "whatever"})
    assert again.status_code == 201 and again.json()["replayed"] is True
    assert len(customer.client.get(f"{API}/debit-cards").json()["debit_cards"]) == 1


@pytest.mark.req("DEB-1")
@pytest.mark.parametrize(("body", "status", "code"), [
    ({"card_number": "4111111111111112"}, 422, "DEBIT_INVALID_CARD_NUMBER"),
    ({"card_number": "4111"}, 422, "DEBIT_INVALID_CARD_NUMBER"),
    ({"card_number": "x" * 41}, 422, "VALIDATION_FAILED"),
    ({"card_number": None}, 422, "VALIDATION_FAILED"),
    ({"account_id": "one"}, 422, "VALIDATION_FAILED"),
    ({"account_id": 999_999}, 404, "ACCOUNT_NOT_FOUND"),
])
def test_bad_card_input_is_a_problem_and_registers_nothing(
        customer: Customer, db: Database, body: dict[str, object], status: int,
        code: str) -> None:
    full = {"account_id": customer.account_id, "card_number": CARD,
            "otp_code": _otp(customer, db), **body}
    response = customer.client.post(f"{API}/debit-cards", json=full, headers=_key())
    _problem(response, status, code)
    _follow(customer, response)
    assert customer.client.get(f"{API}/debit-cards").json()["debit_cards"] == []
    _problem(customer.client.post(f"{API}/debit-cards/999999/cancel"), 404,
             "DEBIT_CARD_NOT_FOUND")


def test_missing_idempotency_key_is_refused(customer: Customer, db: Database) -> None:
    for path, body in (
            (f"{API}/payeasy/payments", {"from_account_id": customer.account_id, **ELECTRICITY}),
            (f"{API}/payeasy/payments/1/confirm", {"otp_code": "000000"}),
            (f"{API}/time-deposits", {"from_account_id": customer.account_id,
                                      "amount": 10_000, "term_months": 3}),
            (f"{API}/time-deposits/1/confirm", {"otp_code": "000000"}),
            (f"{API}/time-deposits/1/cancellation", {}),
            (f"{API}/time-deposits/cancellations/1/confirm", {"otp_code": "000000"}),
            (f"{API}/debit-cards", {"account_id": customer.account_id, "card_number": CARD,
                                    "otp_code": "000000"})):
        _problem(customer.client.post(path, json=body), 422, "VALIDATION_FAILED")
    assert _instructions(customer) == []


def test_requests_without_a_session_are_401(customer: Customer) -> None:
    del customer.client.headers["Authorization"]
    for path in (f"{API}/payeasy/agencies", f"{API}/time-deposits", f"{API}/debit-cards"):
        _problem(customer.client.get(path), 401, "AUTH_SESSION_EXPIRED")


# --- one customer cannot touch another's --------------------------------------------------

@pytest.mark.req("PAY-1")
@pytest.mark.req("TD-1")
@pytest.mark.req("DEB-1")
def test_another_customers_deposit_card_and_instruction_are_not_found(
        customer: Customer, db: Database, bills: dict[str, int]) -> None:
    deposit_id = _open_deposit(customer, db)
    card = _register(customer, db)
    payment = _enter_payment(customer)
    cancellation = customer.client.post(f"{API}/time-deposits/{deposit_id}/cancellation",
                                        headers=_key()).json()
    other_user, other_account, other_token = login(db, holder="ｽｽﾞｷ ｼﾞﾛｳ")

    def other_otp() -> str:
        with db.transaction() as s:
            token = auth_repo.active_token(s, other_user)
            assert token is not None
            return otp.code_at(token, clock.now())

    customer.client.headers["Authorization"] = f"Bearer {other_token}"
    assert customer.client.get(f"{API}/time-deposits").json()["time_deposits"] == []
    assert customer.client.get(f"{API}/debit-cards").json()["debit_cards"] == []
    for path, code in (
            (f"{API}/payeasy/payments/{payment['id']}/confirm", "INSTRUCTION_NOT_FOUND"),
            (f"{API}/time-deposits/cancellations/{cancellation['id']}/confirm",
             "INSTRUCTION_NOT_FOUND"),
            (f"{API}/time-deposits/{deposit_id}/cancellation", "TD_NOT_FOUND"),
            (f"{API}/debit-cards/{card['id']}/cancel", "DEBIT_CARD_NOT_FOUND")):
        response = customer.client.post(path, json={"otp_code": "000000"}, headers=_key())
        _problem(response, 404, code)
    # the other customer's money and cards cannot be moved from, or linked to, this one's
    _problem(customer.client.post(f"{API}/payeasy/payments", headers=_key(), json={
        "from_account_id": customer.account_id, **ELECTRICITY}), 404, "ACCOUNT_NOT_FOUND")
    _problem(customer.client.post(f"{API}/time-deposits", headers=_key(), json={
        "from_account_id": customer.account_id, "amount": 10_000, "term_months": 3}),
        404, "ACCOUNT_NOT_FOUND")
    _problem(customer.client.post(f"{API}/debit-cards", headers=_key(), json={
        "account_id": customer.account_id, "card_number": OTHER_CARD,
        "otp_code": other_otp()}), 404, "ACCOUNT_NOT_FOUND")
    assert other_account != customer.account_id
