"""THE operator sign-in of the tests: the real console form, with two factors.

The operator is given a known password and TOTP secret first (what the bank's first
administrator or a supervisor's reissue would hand out), then signs in on /operator/login over
HTTP (a TestClient) or in a browser (a Playwright page with ``base_url``).
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from kinko.backoffice import operators
from kinko.db import Database

PASSWORD = "Console9Ready"


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def ready_operator(db: Database, code: str) -> str:
    """Give operator ``code`` the test password and a new TOTP seed; returns the current code."""
    def reset(s: Session) -> str:
        operator = operators.operator_by_code(s, code)
        assert operator is not None, f"no operator {code}"
        operators.set_credentials(s, operator_id=operator.id, password=PASSWORD,
                                  seed=secrets.token_bytes(20), must_change=False,
                                  actor="system:test")
        return operators.current_code(operator)
    return db.run(reset)


def sign_in_operator(web: TestClient | Any, code: str, *, db: Database | None = None,
                     base_url: str = "") -> str:
    """Sign ``code`` in; for a TestClient returns the console's CSRF token."""
    if isinstance(web, TestClient):
        otp = ready_operator(db or web.app.state.db, code)  # type: ignore[attr-defined]
        web.cookies.clear()
        page = web.get("/operator/login")
        done = web.post("/operator/login", data={"csrf_token": _csrf(page.text), "code": code,
                                                 "password": PASSWORD, "otp": otp},
                        follow_redirects=False)
        assert done.status_code == 303, done.text[:300]
        return _csrf(web.get("/operator").text)
    assert db is not None
    otp = ready_operator(db, code)
    web.goto(f"{base_url}/operator/login")
    web.fill("input[name=code]", code)
    web.fill("input[name=password]", PASSWORD)
    web.fill("input[name=otp]", otp)
    web.click("#operator-login button[type=submit]")
    web.wait_for_url(f"{base_url}/operator")
    return ""
