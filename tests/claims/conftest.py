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
    from kinko.backoffice.operators import issue_access_key
    from kinko.web.auth import csrf_token
    from kinko.web.pages.operator import OPERATOR_COOKIE, _session_value

    def sign(s):  # type: ignore[no-untyped-def]
        operator = s.get(Operator, operator_id)
        if operator.access_key_hash is None:
            issue_access_key(s, operator_id=operator_id, actor="test")
        return _session_value(operator)

    cookie = db.run(sign)
    if isinstance(target, TestClient):
        target.cookies.set(OPERATOR_COOKIE, cookie)
    else:
        browser_context, url = target
        browser_context.add_cookies([{"name": OPERATOR_COOKIE, "value": cookie, "url": url}])
    return csrf_token("operator\x00" + cookie)
