"""The retail journey over HTTP (INQ-1, INS-1..3, XFER-2..6, AUTH-3, AUTH-5): problem+json for
every refusal, nothing booked by a refused request."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from kinko import clock
from kinko.db import Database
from tests.web.conftest import Customer, login


def _key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def _enter(c: Customer, amount: object = 10_000, **extra: object) -> dict[str, object]:
    body = {"from_account_id": c.account_id, "amount": amount, "bank_code": "0999",
            "branch_code": c.payee[0], "account_type": "ordinary", "number": c.payee[1],
            **extra}
    response = c.client.post("/api/v1/transfers", json=body, headers=_key())
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _balance(c: Customer) -> int:
    [account] = c.client.get("/api/v1/accounts").json()["accounts"]
    return account["balance"]  # type: ignore[no-any-return]


@pytest.mark.req("INS-1")
@pytest.mark.req("AUTH-3")
def test_enter_then_confirm_with_otp(customer: Customer, db: Database) -> None:
    quote = _enter(customer)
    assert quote["status"] == "entered" and quote["details"]["payee"]["holder"] == "ｻﾄｳ ﾊﾅｺ"
    assert quote["step_up"]["factors"] == ["otp"]
    assert _balance(customer) == 100_000
    done = customer.client.post(f"/api/v1/transfers/{quote['id']}/confirm",
                                json={"otp_code": customer.otp(db)}, headers=_key())
    assert done.status_code == 200, done.text
    assert done.json()["instruction"]["status"] == "executed"
    # the step-up rotated the session: the old token no longer works
    assert customer.client.get("/api/v1/accounts").status_code == 401
    customer.client.headers["Authorization"] = f"Bearer {done.json()['session_token']}"
    assert _balance(customer) == 90_000  # same branch, other name: fee 0
    listed = customer.client.get("/api/v1/instructions").json()["instructions"]
    assert [i["status"] for i in listed] == ["executed"]


@pytest.mark.req("AUTH-5")
def test_wrong_or_replayed_otp_is_refused_and_nothing_moves(customer: Customer,
                                                            db: Database) -> None:
    quote = _enter(customer)
    wrong = customer.client.post(f"/api/v1/transfers/{quote['id']}/confirm",
                                 json={"otp_code": "000000"}, headers=_key())
    assert wrong.status_code == 401
    assert wrong.headers["content-type"] == "application/problem+json"
    code = customer.otp(db)
    first = customer.client.post(f"/api/v1/transfers/{quote['id']}/confirm",
                                 json={"otp_code": code}, headers=_key())
    assert first.status_code == 200
    customer.client.headers["Authorization"] = f"Bearer {first.json()['session_token']}"
    second = _enter(customer, amount=1_000)
    replay = customer.client.post(f"/api/v1/transfers/{second['id']}/confirm",
                                  json={"otp_code": code}, headers=_key())
    assert replay.status_code == 401  # the same OTP, inside its time step, is refused
    assert _balance(customer) == 90_000


@pytest.mark.req("INS-3")
def test_confirm_retried_with_the_same_key_returns_the_first_result(customer: Customer,
                                                                    db: Database) -> None:
    quote = _enter(customer)
    key = _key()
    first = customer.client.post(f"/api/v1/transfers/{quote['id']}/confirm",
                                 json={"otp_code": customer.otp(db)}, headers=key)
    customer.client.headers["Authorization"] = f"Bearer {first.json()['session_token']}"
    again = customer.client.post(f"/api/v1/transfers/{quote['id']}/confirm",
                                 json={"otp_code": "whatever"}, headers=key)
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert _balance(customer) == 90_000


@pytest.mark.req("INS-1")
def test_late_confirmation_is_void(customer: Customer, db: Database) -> None:
    quote = _enter(customer)
    clock.advance(timedelta(minutes=11))
    late = customer.client.post(f"/api/v1/transfers/{quote['id']}/confirm",
                                json={"otp_code": customer.otp(db)}, headers=_key())
    assert late.status_code == 409 and late.json()["code"] == "INSTRUCTION_EXPIRED"
    token = late.json().get("session_token")
    assert token is None


@pytest.mark.parametrize(("body", "code"), [
    ({"amount": "abc"}, "VALIDATION_FAILED"),
    ({"amount": 1.5}, "VALIDATION_FAILED"),
    ({"amount": -3}, "VALIDATION_FAILED"),
    ({"number": "12"}, "VALIDATION_FAILED"),
    ({"number": "7777777"}, "XFER_PAYEE_NOT_FOUND"),
    ({"value_date": "2026-11-23"}, "XFER_INVALID_VALUE_DATE"),
    ({"value_date": "yesterday"}, "VALIDATION_FAILED"),
    ({"from_account_id": 999999}, "ACCOUNT_NOT_FOUND"),
    ({"amount": 2_000_000}, "XFER_LIMIT_EXCEEDED"),
])
def test_bad_transfer_input_is_a_problem_and_books_nothing(customer: Customer,
                                                           body: dict[str, object],
                                                           code: str) -> None:
    full = {"from_account_id": customer.account_id, "amount": 1_000, "bank_code": "0999",
            "branch_code": customer.payee[0], "account_type": "ordinary",
            "number": customer.payee[1]} | body
    response = customer.client.post("/api/v1/transfers", json=full, headers=_key())
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert customer.client.get("/api/v1/instructions").json()["instructions"] == []


def test_missing_idempotency_key_is_refused(customer: Customer) -> None:
    response = customer.client.post("/api/v1/transfers", json={
        "from_account_id": customer.account_id, "amount": 1})
    assert response.status_code == 422


def test_requests_without_a_session_are_401(customer: Customer) -> None:
    del customer.client.headers["Authorization"]
    for path in ("/api/v1/accounts", "/api/v1/instructions", "/api/v1/payees"):
        response = customer.client.get(path)
        assert response.status_code == 401 and response.json()["code"] == "AUTH_SESSION_EXPIRED"


@pytest.mark.req("INQ-1")
def test_statement_and_csv(customer: Customer) -> None:
    page = customer.client.get(f"/api/v1/accounts/{customer.account_id}/statement").json()
    assert page["total"] == 1 and page["lines"][0]["deposit"] == 100_000
    csv = customer.client.get(f"/api/v1/accounts/{customer.account_id}/statement.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "100000" in csv.text


def test_user_a_cannot_touch_user_b(customer: Customer, db: Database) -> None:
    """Every account-scoped route answers 404 for another customer's account."""
    _, other_account, other_token = login(db, holder="ｽｽﾞｷ ｼﾞﾛｳ")
    quote = _enter(customer)
    for path in (f"/api/v1/accounts/{other_account}/statement",
                 f"/api/v1/accounts/{other_account}/statement.csv"):
        assert customer.client.get(path).status_code == 404
    other = customer.client.post("/api/v1/transfers", headers=_key(), json={
        "from_account_id": other_account, "amount": 1_000, "bank_code": "0999",
        "branch_code": customer.payee[0], "account_type": "ordinary",
        "number": customer.payee[1]})
    assert other.status_code == 404
    customer.client.headers["Authorization"] = f"Bearer {other_token}"
    for method, path in (("post", f"/api/v1/transfers/{quote['id']}/confirm"),
                         ("post", f"/api/v1/transfers/{quote['id']}/cancel")):
        response = getattr(customer.client, method)(path, json={"otp_code": "1"},
                                                    headers=_key())
        assert response.status_code == 404, (path, response.text)


@pytest.mark.req("XFER-6")
@pytest.mark.req("AUTH-3")
def test_limits_lowered_freely_and_raised_with_step_up(customer: Customer,
                                                        db: Database) -> None:
    lower = customer.client.put("/api/v1/limits", json={"per_transaction": 5_000,
                                                        "daily": 8_000})
    assert lower.status_code == 200, lower.text   # lowering needs no second factor (XFER-6)
    assert customer.client.get("/api/v1/limits").json() == {"per_transaction": 5_000,
                                                            "daily": 8_000}
    bare = customer.client.put("/api/v1/limits", json={"per_transaction": 9_000,
                                                       "daily": 9_000})
    assert bare.status_code in (401, 403)   # raising needs the step-up (AUTH-3)
    assert customer.client.get("/api/v1/limits").json()["daily"] == 8_000
    refused = customer.client.put("/api/v1/limits", json={"per_transaction": 9_000,
                                                          "daily": 9_000, "otp_code": "000000"})
    assert refused.status_code == 401
    clock.set_now(clock.now() + timedelta(seconds=30))   # the next OTP time step
    raised = customer.client.put("/api/v1/limits", json={
        "per_transaction": 9_000, "daily": 9_000, "otp_code": customer.otp(db)})
    assert raised.status_code == 200, raised.text


@pytest.mark.req("OVS-1")
def test_use_from_abroad_is_recorded_and_fund_movements_refused(customer: Customer,
                                                                 db: Database) -> None:
    from sqlalchemy import select

    from kinko.audit.models import AuditEvent

    abroad = {"X-Client-Country": "US"}
    assert customer.client.get("/api/v1/accounts", headers=abroad).status_code == 200
    refused = customer.client.post("/api/v1/transfers", headers=abroad | _key(), json={
        "from_account_id": customer.account_id, "amount": 1_000, "bank_code": "0999",
        "branch_code": customer.payee[0], "account_type": "ordinary",
        "number": customer.payee[1]})
    assert 400 <= refused.status_code < 500
    assert refused.headers["content-type"] == "application/problem+json"
    assert customer.client.get("/api/v1/instructions").json()["instructions"] == []
    with db.transaction() as s:
        actions = s.scalars(select(AuditEvent.action).where(
            AuditEvent.action.like("access.abroad%"))).all()
    assert sorted(actions) == ["access.abroad", "access.abroad.refused"]
    bad = customer.client.get("/api/v1/accounts", headers={"X-Client-Country": "???"})
    assert 400 <= bad.status_code < 500


@pytest.mark.req("XFER-9")
@pytest.mark.req("INQ-1")
def test_incoming_transfer_list_shows_remitter_and_edi(customer: Customer, db: Database) -> None:
    from kinko.clearing.service import receive_incoming
    from kinko.ledger.models import Account

    with db.transaction() as s:
        account = s.get(Account, customer.account_id)
        assert account is not None
        receive_incoming(s, to_branch=account.branch_code, to_account_type="ordinary",
                         to_number=account.number, amount=45_000,
                         remitter_name_kana="ｽｽﾞｷ ｲﾁﾛｳ", remitter_bank_code="0005",
                         remitter_branch_code="001", edi="INV-2026-001", reference="in-1")
    body = customer.client.get(f"/api/v1/accounts/{customer.account_id}/incoming").json()
    [line] = body["incoming"]
    assert (line["amount"], line["remitter"], line["edi"]) == (45_000, "ｽｽﾞｷ ｲﾁﾛｳ",
                                                                "INV-2026-001")
    assert customer.client.get("/api/v1/accounts/999999/incoming").status_code == 404


def _stored_responses(db: Database) -> list[str]:
    from sqlalchemy import select

    from kinko.idempotency.models import IdempotencyRecord

    with db.transaction() as s:
        return [r for r in s.execute(select(IdempotencyRecord.response)).scalars() if r]


@pytest.mark.req("AUTH-10")
@pytest.mark.req("INS-3")
def test_a_stored_confirmation_holds_no_session_token_and_a_replay_sends_none(
        customer: Customer, db: Database) -> None:
    quote = _enter(customer)
    key = _key()
    first = customer.client.post(f"/api/v1/transfers/{quote['id']}/confirm",
                                 json={"otp_code": customer.otp(db)}, headers=key)
    assert first.status_code == 200, first.text
    token = first.json()["session_token"]
    stored = _stored_responses(db)
    assert stored and not any(token in r or "session_token" in r or "csrf_token" in r
                              for r in stored)
    # The same session retries (it holds its current token): the outcome, no token again.
    customer.client.headers["Authorization"] = f"Bearer {token}"
    again = customer.client.post(f"/api/v1/transfers/{quote['id']}/confirm", json={},
                                 headers=key)
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert again.json()["instruction"]["status"] == "executed"
    assert "session_token" not in again.json()
    assert customer.client.get("/api/v1/accounts").status_code == 200   # still its session


@pytest.mark.req("AUTH-10")
@pytest.mark.req("INS-3")
def test_a_lost_answer_is_replayed_to_a_new_login_with_the_outcome_and_no_token(
        customer: Customer, db: Database) -> None:
    """The confirmation rotated the token but its answer was lost: the client's token is dead,
    so any retry comes from a new login (another session of the same user). It gets the
    outcome — which that session may read anyway — and never the first session's token."""
    from kinko.auth import sessions
    from kinko.auth.models import AuthUser
    from kinko.auth.policy import rules_for

    quote = _enter(customer)
    key = _key()
    first = customer.client.post(f"/api/v1/transfers/{quote['id']}/confirm",
                                 json={"otp_code": customer.otp(db)}, headers=key)
    assert first.status_code == 200, first.text
    token_a = first.json()["session_token"]      # "lost": the client never sees it
    dead = customer.client.post(f"/api/v1/transfers/{quote['id']}/confirm", json={},
                                headers=key)
    assert dead.status_code == 401
    with db.transaction() as s:   # the client logs in again
        user = s.get(AuthUser, customer.user_id)
        assert user is not None
        token_b, _ = sessions.start(s, user, rules_for(user.product))
    customer.client.headers["Authorization"] = f"Bearer {token_b}"
    replayed = customer.client.post(f"/api/v1/transfers/{quote['id']}/confirm", json={},
                                    headers=key)
    assert replayed.status_code == 200 and replayed.json()["replayed"] is True
    assert replayed.json()["instruction"]["status"] == "executed"
    assert token_a not in replayed.text and "session_token" not in replayed.json()
    assert customer.client.get("/api/v1/accounts").status_code == 200   # B's token unchanged
    assert _balance(customer) == 90_000                                  # booked once


def test_the_busiest_routes_refuse_a_missing_or_unknown_session(customer: Customer) -> None:
    """The balances, a transfer's entry and its confirmation authenticate on the handler's
    own thread (one trip through the threadpool per request): a request without a live
    session is still refused with 401 problem+json and changes nothing; one that is also
    malformed is answered 422 (its body is checked first), equally refused."""
    quote = _enter(customer)
    good = {"from_account_id": customer.account_id, "amount": 1_000, "bank_code": "0999",
            "branch_code": customer.payee[0], "account_type": "ordinary",
            "number": customer.payee[1]}
    calls = [("GET", "/api/v1/accounts", None),
             ("POST", "/api/v1/transfers", good),
             ("POST", f"/api/v1/transfers/{quote['id']}/confirm", {"otp_code": "123456"})]
    own = customer.client.headers.pop("Authorization")
    try:
        for authorization in (None, "Bearer not-a-session-token"):
            headers = {"Idempotency-Key": uuid.uuid4().hex}
            if authorization:
                headers["Authorization"] = authorization
            for method, path, body in calls:
                response = customer.client.request(method, path, json=body, headers=headers)
                assert response.status_code == 401, (path, response.text)
                assert response.headers["content-type"] == "application/problem+json"
    finally:
        customer.client.headers["Authorization"] = own
    malformed = customer.client.post("/api/v1/transfers", json={"amount": "lots"},
                                     headers={"Authorization": "Bearer not-a-session-token",
                                              "Idempotency-Key": uuid.uuid4().hex})
    assert malformed.status_code == 422, malformed.text
    assert _balance(customer) == 100_000
    listed = customer.client.get("/api/v1/instructions").json()["instructions"]
    assert [i["status"] for i in listed] == ["entered"]
