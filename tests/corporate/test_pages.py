"""The business net's pages over real HTTP with the session cookie (desktop and phone,
Japanese and English): home, users, bulk builder, request, phone screens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from kinko import clock
from kinko.config import Settings
from kinko.db import Database
from kinko.web.app import create_app
from kinko.web.auth import SESSION_COOKIE, csrf_token
from tests.corporate import builders
from tests.corporate.bulkkit import FRIDAY, OWN, own_payees, transfer_file


@pytest.fixture
def app(db: Database) -> Iterator[TestClient]:
    clock.set_now(FRIDAY)
    with TestClient(create_app(db, Settings())) as client:
        yield client


def _as(app: TestClient, corp: builders.Corp, who: str) -> str:
    app.cookies.set(SESSION_COOKIE, corp.tokens[who])
    return csrf_token(corp.tokens[who])


@pytest.mark.req("PRD-4")
@pytest.mark.req("BULK-1")
def test_portal_pages_from_upload_to_the_request_page(db: Database, app: TestClient) -> None:
    corp = db.run(builders.contract)
    db.run(lambda s: builders.grant(s, corp, "general", "ABH", [corp.representative]))
    csrf = _as(app, corp, "general")
    html = {"Accept": "text/html"}
    # The retail menu is not for business net users.
    assert app.get("/banking", headers=html, follow_redirects=False).headers["location"] \
        == "/corporate"
    home = app.get("/corporate", headers=html)
    assert home.status_code == 200 and "総合振込" in home.text
    assert "Bulk transfer" in app.get("/corporate?lang=en", headers=html).text
    # A general user does not manage users.
    assert app.get("/corporate/users", headers=html).status_code == 403
    # A refused file lists its lines and keeps nothing.
    bad = transfer_file([("0002", "001", "1234567", "ﾀﾛｳ", 1_000)])
    refused = app.post("/corporate/bulk/new", headers=html, data={"csrf_token": csrf},
                       files={"file": ("f.txt", bad, "text/plain")})
    assert refused.status_code == 422 and 'id="problems"' in refused.text
    own = db.run(lambda s: own_payees(s, 2))
    good = transfer_file([(OWN, b, n, h, 12_345) for b, n, h, _ in own])
    made = app.post("/corporate/bulk/new", headers=html, data={"csrf_token": csrf},
                    files={"file": ("f.txt", good, "text/plain")}, follow_redirects=False)
    assert made.status_code == 303
    page = app.get(made.headers["location"], headers=html)
    assert page.status_code == 200 and "24,690" in page.text and "payees-digest" in page.text
    assert 'id="approve"' not in page.text          # the maker is offered no approval
    # The admin sees it waiting, with the step-up the approval asks for.
    _as(app, corp, "admin")
    assert made.headers["location"] in app.get("/corporate", headers=html).text
    admin_page = app.get(made.headers["location"], headers=html)
    assert 'id="approve"' in admin_page.text and "confirmation_password" in admin_page.text
    # The phone screens (a phone-sized browser gets the same pages).
    _as(app, corp, "master")
    users = app.get("/corporate/users", headers=html)
    assert users.status_code == 200 and "add-user" in users.text
    mobile = html | {"User-Agent": "Mozilla/5.0 (Linux; Android 14) Mobile"}
    assert app.get("/corporate/phone", headers=mobile).status_code == 200
    assert app.get("/corporate/phone/register", headers=mobile).status_code == 200
