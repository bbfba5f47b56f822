"""Claims test fixtures: operator sign-in for the operator pages goes through ONE helper."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kinko.auth.crypto import CHEAP_FOR_TESTS, SecretHasher, use_hasher
from kinko.backoffice.models import Operator
from kinko.db import Database
from tests import operator_login


@pytest.fixture(autouse=True)
def cheap_hasher() -> Iterator[None]:
    with use_hasher(SecretHasher(CHEAP_FOR_TESTS)):
        yield


def sign_in_operator(target: Any, db: Database, operator_id: int) -> str:
    """Sign ``operator_id`` in on ``target`` — a TestClient, or a Playwright browser context
    with the site's ``url`` — through the console's sign-in form
    (:func:`tests.operator_login.sign_in_operator`), and return the CSRF token its forms
    carry (empty for a browser, whose pages carry their own)."""
    def code_of(s: Any) -> str:
        operator = s.get(Operator, operator_id)
        assert operator is not None, f"no operator {operator_id}"
        return str(operator.code)

    code = db.run(code_of)
    if isinstance(target, TestClient):
        return operator_login.sign_in_operator(target, code, db=db)
    browser_context, url = target
    page = browser_context.new_page()   # the session cookie stays with the context
    try:
        return operator_login.sign_in_operator(page, code, db=db, base_url=url)
    finally:
        page.close()
