"""Claims test fixtures: operator sign-in for the operator pages goes through ONE helper."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kinko.auth.crypto import CHEAP_FOR_TESTS, SecretHasher, use_hasher
from kinko.backoffice.models import Operator
from kinko.db import Database


@pytest.fixture(autouse=True)
def cheap_hasher() -> Iterator[None]:
    with use_hasher(SecretHasher(CHEAP_FOR_TESTS)):
        yield


def sign_in_operator(target: Any, db: Database, operator_id: int) -> str:
    """Sign ``operator_id`` in on ``target`` — a TestClient, or a Playwright browser context
    with the site's ``url`` — with the console's cookie, and return the CSRF token its forms
    carry. The only place the claims tests know how operators sign in."""
    import secrets

    from kinko.backoffice import operators, sessions
    from kinko.web.auth import csrf_token
    from kinko.web.pages.operator import OPERATOR_COOKIE

    def sign(s):  # type: ignore[no-untyped-def]
        operator = s.get(Operator, operator_id)
        if operator.password_hash is None or operator.must_change_password:
            operators.set_credentials(s, operator_id=operator_id, password="Console9Ready",
                                      seed=secrets.token_bytes(20), must_change=False,
                                      actor="system:test")
        return sessions.start(s, operator_id)

    cookie = db.run(sign)
    if isinstance(target, TestClient):
        target.cookies.set(OPERATOR_COOKIE, cookie)
    else:
        browser_context, url = target
        browser_context.add_cookies([{"name": OPERATOR_COOKIE, "value": cookie, "url": url}])
    return csrf_token("operator\x00" + cookie)
