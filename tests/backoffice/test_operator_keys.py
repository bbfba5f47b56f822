"""OPS-1: operators sign in to the console with a personal random access key, kept only as an
argon2id hash; nothing about operator sign-in derives from the bank's secret key."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from kinko import clock
from kinko.audit.models import AuditEvent
from kinko.auth.crypto import derived_key
from kinko.backoffice.models import Operator
from kinko.cli import app
from kinko.config import Settings
from kinko.db import Database
from kinko.keys import Purpose, derive
from kinko.web.app import create_app
from kinko.web.pages.operator import OPERATOR_COOKIE, _session_value

HTML = {"Accept": "text/html"}
runner = CliRunner()
OLD_PUBLIC_DEFAULT = b"dev-only-secret-change-me-in-production-0000"


@pytest.fixture
def console(db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(db, Settings()), headers=HTML, follow_redirects=False) as c:
        yield c


def _create(db: Database, code: str) -> str:
    url = db.url.render_as_string(hide_password=False)
    result = runner.invoke(app, ["operators", "create", code, "--name", "審査 一郎",
                                 "--role", "security", "--database-url", url])
    assert result.exit_code == 0, (result.output, repr(result.exception))
    return result.output.strip().splitlines()[-1]


def _login(console: TestClient, code: str, key: str) -> int:
    page = console.get("/operator/login")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found
    return console.post("/operator/login", data={
        "csrf_token": found.group(1), "code": code, "key": key}).status_code


@pytest.mark.req("OPS-1")
@pytest.mark.req("AUTH-10")
def test_issued_key_signs_in_and_is_stored_only_as_an_argon2id_hash(
        db: Database, console: TestClient) -> None:
    key = _create(db, "S100")
    assert len(key) >= 27   # 160 random bits
    with db.transaction() as s:
        operator = s.execute(select(Operator).where(Operator.code == "S100")).scalar_one()
        assert operator.access_key_hash is not None
        assert operator.access_key_hash.startswith("$argon2id$")
        assert key not in operator.access_key_hash
        events = s.execute(select(AuditEvent.data)).scalars().all()
    assert not any(key in data for data in events)
    assert _login(console, "S100", "x" * 27) == 401
    assert _login(console, "NOBODY", key) == 401
    assert _login(console, "S100", key) == 303
    assert console.get("/operator").status_code == 200


@pytest.mark.req("OPS-1")
def test_the_key_derived_from_the_secret_no_longer_signs_in(
        db: Database, console: TestClient) -> None:
    _create(db, "S101")
    # What the console used to accept: an HMAC of the code under a key derived from the
    # secret key — under the configured key, and under the default once in the source.
    for secret in (None, OLD_PUBLIC_DEFAULT):
        base = derived_key("operator-access") if secret is None else derive(secret,
                                                                              "operator-access")
        derived = hmac.new(base, b"S101", hashlib.sha256).hexdigest()[:32]
        assert _login(console, "S101", derived) == 401


@pytest.mark.req("OPS-1")
def test_forged_and_stale_operator_cookies_are_refused(db: Database,
                                                       console: TestClient) -> None:
    key = _create(db, "S102")
    with db.transaction() as s:
        operator = s.execute(select(Operator).where(Operator.code == "S102")).scalar_one()
        genuine = _session_value(operator)
        operator_id = operator.id
    expires = int(clock.now().timestamp()) + 3600
    payload = f"{operator_id}.{expires}"
    forged = [
        # signed as before, under the public default's derived key
        f"{payload}.{hmac.new(derive(OLD_PUBLIC_DEFAULT, 'operator-session'), payload.encode(), hashlib.sha256).hexdigest()}",  # noqa: E501
        # signed under the right key but without the operator's current key hash
        f"{payload}.{hmac.new(derived_key(Purpose.OPERATOR_SESSION), payload.encode(), hashlib.sha256).hexdigest()}",  # noqa: E501
        f"{payload}.{'0' * 64}",
        f"{operator_id + 1}.{genuine.split('.', 1)[1]}",
        f"{'9' * 40}.{expires}.{'0' * 64}",   # beyond any id: refused, not a 500
    ]
    for value in forged:
        console.cookies.set(OPERATOR_COOKIE, value)
        assert console.get("/operator").status_code == 303, value
    console.cookies.set(OPERATOR_COOKIE, genuine)
    assert console.get("/operator").status_code == 200
    # A new key ends the sessions of the old one.
    result = runner.invoke(app, ["operators", "issue-key", "S102", "--database-url",
                                 db.url.render_as_string(hide_password=False)])
    assert result.exit_code == 0 and result.output.strip().splitlines()[-1] != key
    assert console.get("/operator").status_code == 303
    assert _login(console, "S102", key) == 401
