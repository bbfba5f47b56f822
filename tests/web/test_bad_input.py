"""Bad input is refused with 4xx, never 5xx (DESIGN.md "Errors and bad input"; security issue,
finding 8): ids and page numbers beyond the database's BIGINT, dates outside the bank calendar,
NUL and other control characters in text. The API answers problem+json; pages answer a page.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.exc import DataError
from starlette.routing import BaseRoute

from kinko.calendar.rules import CalendarRangeError
from kinko.config import Settings
from kinko.db import Database
from kinko.web.app import create_app
from kinko.web.auth import SESSION_COOKIE, csrf_token
from tests.web.conftest import Customer

PROBLEM = "application/problem+json"
HUGE = [2**63, 2**64, 10**30]
_PARAM = re.compile(r"\{(\w+)\}")


def _api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif (router := getattr(route, "original_router", None)) is not None:
            yield from _api_routes(router.routes)  # an included router (FastAPI ≥ 0.160)


def _id_routes(app: FastAPI) -> Iterator[tuple[str, str, bool]]:
    """(method, path template, is API) of every route whose path carries a numeric id (an
    opaque string id, such as a phone approval's, has its own pattern)."""
    for route in _api_routes(app.routes):
        if any(p.field_info.annotation is int for p in route.dependant.path_params):
            for method in sorted(route.methods):
                yield method, route.path, route.path.startswith("/api/")


def _with(path: str, value: object) -> str:
    return _PARAM.sub(str(value), path)


def _is_problem(response: object) -> bool:
    return response.headers["content-type"].startswith(PROBLEM)  # type: ignore[attr-defined]


@pytest.mark.req("OPS-1")
@pytest.mark.parametrize("value", HUGE)
def test_ids_beyond_bigint_are_refused_on_every_api_path(customer: Customer,
                                                         value: int) -> None:
    routes = [(m, p) for m, p, api in _id_routes(customer.client.app) if api]  # type: ignore[arg-type]
    assert len(routes) >= 8
    for method, path in routes:
        response = customer.client.request(
            method, _with(path, value), json={},
            headers={"Idempotency-Key": uuid.uuid4().hex})
        assert response.status_code == 422, (method, path, response.status_code, response.text)
        assert _is_problem(response), (method, path)
        assert response.json()["code"] == "VALIDATION_FAILED"


@pytest.mark.req("OPS-1")
@pytest.mark.parametrize("value", [*HUGE, 0, -1, "abc"])
def test_bad_ids_on_pages_answer_a_page(customer: Customer, value: object) -> None:
    """A logged-in browser (cookie + CSRF token) gets an HTML error page, not JSON."""
    client = customer.client
    del client.headers["Authorization"]
    client.cookies.set(SESSION_COOKIE, customer.token)
    routes = [(m, p) for m, p, api in _id_routes(client.app) if not api]  # type: ignore[arg-type]
    assert any(p.startswith("/banking/") for _, p in routes)
    assert any(p.startswith("/operator/") for _, p in routes)
    for method, path in routes:
        response = client.request(method, _with(path, value), follow_redirects=False,
                                  headers={"Accept": "text/html",
                                           "X-CSRF-Token": csrf_token(customer.token)})
        assert response.status_code == 422, (method, path, response.status_code)
        assert response.headers["content-type"].startswith("text/html"), (method, path)


@pytest.mark.req("OPS-1")
@pytest.mark.parametrize("page", [2**63, 2**63 - 1, 2**64, 0])
def test_page_numbers_beyond_the_database_are_refused(customer: Customer, page: int) -> None:
    a = customer.account_id
    for path in ("/api/v1/instructions", f"/api/v1/accounts/{a}/statement",
                 f"/api/v1/accounts/{a}/incoming"):
        response = customer.client.get(path, params={"page": page})
        assert response.status_code == 422, (path, response.text)
        assert _is_problem(response)
    response = customer.client.get(f"/banking/accounts/{a}", params={"page": page},
                                   headers={"Accept": "text/html"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.req("OPS-1")
def test_largest_page_and_id_inside_the_range_are_answered(customer: Customer) -> None:
    assert customer.client.get("/api/v1/instructions",
                               params={"page": 1_000_000}).json()["instructions"] == []
    response = customer.client.post(f"/api/v1/transfers/{2**63 - 1}/cancel")
    assert response.status_code == 404 and _is_problem(response)


@pytest.mark.req("XFER-6")
@pytest.mark.parametrize("value_date", ["9999-12-31", "0001-01-01", "1949-01-01",
                                        "2099-12-31", "2100-01-01"])
def test_value_dates_outside_the_calendar_are_refused(customer: Customer,
                                                      value_date: str) -> None:
    body = {"from_account_id": customer.account_id, "amount": 10_000, "bank_code": "0999",
            "branch_code": customer.payee[0], "account_type": "ordinary",
            "number": customer.payee[1], "value_date": value_date}
    response = customer.client.post("/api/v1/transfers", json=body,
                                     headers={"Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == 422, response.text
    assert _is_problem(response)
    assert response.json()["errors"][0]["field"] == "value_date"
    a = customer.account_id
    for path in (f"/api/v1/accounts/{a}/statement", f"/api/v1/accounts/{a}/statement.csv",
                 f"/api/v1/accounts/{a}/incoming"):
        assert customer.client.get(path, params={"date_from": value_date}).status_code == 422


@pytest.mark.req("XFER-6")
@pytest.mark.parametrize("value_date", ["9999-12-31", "0001-01-01"])
def test_value_dates_outside_the_calendar_on_the_transfer_page(customer: Customer,
                                                               value_date: str) -> None:
    client = customer.client
    del client.headers["Authorization"]
    client.cookies.set(SESSION_COOKIE, customer.token)
    response = client.post("/banking/transfer", headers={"Accept": "text/html"}, data={
        "csrf_token": csrf_token(customer.token), "key": uuid.uuid4().hex,
        "from_account_id": str(customer.account_id), "bank_code": "0999",
        "branch_code": customer.payee[0], "number": customer.payee[1], "amount": "1000",
        "value_date": value_date})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.req("OPS-1")
@pytest.mark.parametrize("amount", [10**15, 2**63, 2**64])
def test_amounts_and_limits_beyond_the_ledger_are_refused(customer: Customer,
                                                          amount: int) -> None:
    body = {"from_account_id": customer.account_id, "amount": amount, "bank_code": "0999",
            "branch_code": customer.payee[0], "number": customer.payee[1]}
    response = customer.client.post("/api/v1/transfers", json=body,
                                     headers={"Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == 422 and _is_problem(response)
    response = customer.client.put("/api/v1/limits",
                                   json={"per_transaction": amount, "daily": amount})
    assert response.status_code == 422 and _is_problem(response)
    response = customer.client.post("/api/v1/time-deposits", json={
        "from_account_id": customer.account_id, "amount": 100_000, "term_months": amount},
        headers={"Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == 422 and _is_problem(response)


# --- control characters ----------------------------------------------------------------------

LOGINS = [
    ("/api/v1/auth/login/retail-001", {"member_number": "1000\x000001", "password": "x"}),
    ("/api/v1/auth/login/retail-001", {"member_number": "10000001", "password": "p\x00"}),
    ("/api/v1/auth/login/retail-003", {"user_id": "U2026\x00", "password": "x",
                                       "otp_code": "123456", "challenge_id": "c",
                                       "confirmation_code": "ABC"}),
    ("/api/v1/auth/login/retail-003", {"user_id": "U1", "password": "x",
                                       "otp_code": "123456", "challenge_id": "c\x00",
                                       "confirmation_code": "A\x00"}),
    ("/api/v1/auth/login/corporate", {"login_id": "kinko\x00shoji", "password": "x"}),
    ("/api/v1/auth/login/corporate", {"login_id": "kinkoshoji", "password": "\x1b[0m"}),
    ("/api/v1/auth/first-use", {"branch_code": "001", "account_number": "0100001",
                                "temporary_login_password": "a\x00",
                                "temporary_confirmation_password": "b",
                                "login_id": "x\x00"}),
]


@pytest.mark.req("AUTH-10")
@pytest.mark.parametrize(("path", "body"), LOGINS)
def test_nul_in_login_fields_is_refused_without_login(db: Database, path: str,
                                                      body: dict[str, str]) -> None:
    """On PostgreSQL a NUL reached the database (text cannot hold it) and answered 500."""
    with TestClient(create_app(db, Settings())) as client:
        response = client.post(path, json=body)
    assert response.status_code == 422, response.text
    assert _is_problem(response)
    assert response.json()["code"] == "VALIDATION_FAILED"


@pytest.mark.req("AUTH-10")
@pytest.mark.parametrize("field", ["login_id", "password", "otp_code", "challenge_id",
                                   "confirmation_code", "product", "next"])
def test_nul_in_login_page_fields_is_refused_with_a_page(db: Database, field: str) -> None:
    form = {"product": "retail-003", "method": "id", "login_id": "U202600002",
            "password": "Hanako5Kari", "otp_code": "123456", "challenge_id": "c",
            "confirmation_code": "K7MPQ2", "next": "/banking"}
    form[field] += "\x00"
    with TestClient(create_app(db, Settings())) as client:
        response = client.post("/login", data=form, headers={"Accept": "text/html"},
                               follow_redirects=False)
        query = client.get("/login", params={"next": "/banking\x00"},
                           headers={"Accept": "text/html"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert query.status_code == 422


@pytest.mark.req("OPS-1")
@pytest.mark.parametrize("text", ["\x00", "a\x07b", "\x7f", "\u0085", "line\nbreak"])
def test_control_characters_in_api_text_are_refused(customer: Customer, text: str) -> None:
    payee = customer.client.post("/api/v1/payees", json={
        "bank_code": "0999", "branch_code": customer.payee[0], "number": customer.payee[1],
        "nickname": text})
    assert payee.status_code == 422 and _is_problem(payee)
    lookup = customer.client.get("/api/v1/payeasy/bills/lookup", params={
        "agency_code": text, "customer_number": "1", "confirmation_number": "1"})
    assert lookup.status_code == 422 and _is_problem(lookup)
    confirm = customer.client.post("/api/v1/transfers/1/confirm",
                                   json={"otp_code": "1", "card_answers": {text: "1"}},
                                   headers={"Idempotency-Key": uuid.uuid4().hex})
    assert confirm.status_code == 422 and _is_problem(confirm)


@pytest.mark.req("OPS-1")
def test_free_text_keeps_its_lines_but_not_other_controls(customer: Customer) -> None:
    ok = customer.client.post("/api/v1/auth/compromise",
                              json={"credential": "token", "note": "lost\r\non the train"})
    assert ok.status_code == 202, ok.text
    assert customer.client.post("/api/v1/auth/compromise", json={
        "credential": "token", "note": "lost\x00"}).status_code in (401, 422)


# --- the backstop -----------------------------------------------------------------------------


@pytest.mark.req("OPS-1")
@pytest.mark.parametrize("error", [
    OverflowError("Python int too large to convert to SQLite INTEGER"),
    CalendarRangeError("year 9999 is outside the bank calendar (1949-2099)"),
    DataError("INSERT …", {}, Exception("bigint out of range")),
    DataError("INSERT …", {}, Exception("PostgreSQL text fields cannot contain NUL")),
])
def test_a_value_past_the_schema_is_422_not_500(db: Database, error: Exception) -> None:
    app = create_app(db, Settings())

    @app.get("/api/v1/test-backstop")
    def boom() -> None:
        raise error

    @app.get("/test-backstop-page")
    def boom_page() -> None:
        raise error

    with TestClient(app) as client:
        response = client.get("/api/v1/test-backstop")
        page = client.get("/test-backstop-page", headers={"Accept": "text/html"})
    assert response.status_code == 422 and _is_problem(response)
    assert response.json()["code"] == "INPUT_OUT_OF_RANGE"
    assert "bigint" not in response.text and "SQLite" not in response.text
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")


@pytest.mark.req("OPS-1")
def test_the_openapi_document_bounds_ids_pages_dates_and_text(db: Database) -> None:
    spec = create_app(db, Settings()).openapi()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                if schema.get("type") == "integer":
                    assert "maximum" in schema, (method, path, parameter["name"])
                if schema.get("type") == "string" and "format" not in schema:
                    assert "pattern" in schema, (method, path, parameter["name"])
            for status in ("401", "404", "422"):
                content = operation["responses"][status]["content"]
                assert list(content) == [PROBLEM], (method, path, status)
    assert "HTTPValidationError" not in spec["components"]["schemas"]


@pytest.mark.req("OPS-1")
@pytest.mark.parametrize("path", ["/api/v1/auth/logout", "/login", "/operator/login",
                                  "/logout", "/operator/requests"])
def test_a_non_ascii_csrf_token_is_refused_not_500(db: Database, path: str) -> None:
    """hmac.compare_digest raises TypeError on non-ASCII text: the comparison is on bytes."""
    with TestClient(create_app(db, Settings()), raise_server_exceptions=False) as client:
        client.cookies.set(SESSION_COOKIE, "a-session-token")
        client.cookies.set("kinko_operator", "1.2.abc")
        form = client.post(path, data={"csrf_token": "ｘ", "code": "x", "key": "ｘ"},
                           follow_redirects=False)
        header = client.post(path, headers={"X-CSRF-Token": "é".encode()},
                             follow_redirects=False)
    assert 300 <= form.status_code < 500, form.text
    assert 300 <= header.status_code < 500, header.text


@pytest.mark.req("OPS-1")
@pytest.mark.parametrize(("field", "value"), [("from_account_id", str(2**64)),
                                              ("payee_id", str(2**63)),
                                              ("from_account_id", "１２"),
                                              ("payee_id", "9" * 5000)])
def test_bad_ids_in_the_transfer_form_are_shown_next_to_the_form(customer: Customer,
                                                                 field: str,
                                                                 value: str) -> None:
    client = customer.client
    del client.headers["Authorization"]
    client.cookies.set(SESSION_COOKIE, customer.token)
    form = {"csrf_token": csrf_token(customer.token), "key": uuid.uuid4().hex,
            "from_account_id": str(customer.account_id), "bank_code": "0999",
            "branch_code": customer.payee[0], "number": customer.payee[1], "amount": "1000",
            field: value}
    response = client.post("/banking/transfer", headers={"Accept": "text/html"}, data=form)
    assert response.status_code == 422
    assert "口座・日付の入力内容をご確認ください。" in response.text
