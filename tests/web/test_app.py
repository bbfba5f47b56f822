"""The app skeleton through real HTTP: health, problem+json, headers, pages, demo data."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from kinko.config import Settings
from kinko.db import Database
from kinko.demo.data import create
from kinko.web.app import create_app


@pytest.fixture
def demo_client(db: Database) -> Iterator[TestClient]:
    db.run(create)
    with TestClient(create_app(db, Settings(demo=True))) as client:
        yield client


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(db, Settings(demo=False))) as client:
        yield client


def test_health_reports_the_database(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_unknown_route_is_problem_json_in_both_languages(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "NOT_FOUND" and body["status"] == 404
    assert body["message_ja"] and body["message_en"]
    assert body["title"] == body["message_ja"]
    english = client.get("/api/v1/nothing-here", headers={"Accept-Language": "en-US"})
    assert english.json()["title"] == "Not found."


def test_demo_overview_is_hidden_outside_demo_mode(client: TestClient) -> None:
    assert client.get("/api/v1/demo/accounts").status_code == 404
    assert client.get("/demo/accounts").status_code == 404


@pytest.mark.req("UI-1")
def test_demo_page_lists_customers_accounts_and_balances(demo_client: TestClient) -> None:
    page = demo_client.get("/demo/accounts")
    assert page.status_code == 200
    html = page.text
    assert '<html lang="ja">' in html and "山田 太郎" in html and "株式会社きんこ商事" in html
    assert "001-1234567" in html and "円" in html and "支払停止" in html
    assert 'name="viewport"' in html
    english = demo_client.get("/demo/accounts?lang=en")
    assert '<html lang="en">' in english.text and "Balance" in english.text
    assert english.cookies.get("lang") == "en"


@pytest.mark.req("LED-1")
def test_demo_api_amounts_are_integer_yen_and_books_balance(demo_client: TestClient) -> None:
    body = demo_client.get("/api/v1/demo/accounts").json()
    accounts = [a for c in body["customers"] for a in c["accounts"]]
    assert len(body["customers"]) == 4 and len(accounts) == 5
    assert all(isinstance(a["balance"], int) for a in accounts)
    yamada = next(a for a in accounts if a["number"] == "1234567")
    # 300,000 in, 310,000 salary, 30,110 transfer out with its fee
    assert yamada["balance"] == 579_890
    assert len(yamada["recent"]) == 3


def test_security_headers_on_every_response(client: TestClient) -> None:
    for path in ("/", "/health", "/missing"):
        headers = client.get(path).headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]


def test_openapi_is_published(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["info"]["title"] == "Kinko API" and "/health" in spec["paths"]


def test_wrong_method_is_a_problem_not_a_crash(client: TestClient) -> None:
    response = client.post("/health")
    assert response.status_code == 405
    assert response.json()["code"] == "METHOD_NOT_ALLOWED"
