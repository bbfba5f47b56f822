"""Approvals signed on the smartphone over real HTTP (AUTH-12, APR-1, CRED-2): the phone is
registered by its user with WebAuthn, shows exactly the request's details, and its signature
over those details is the approval; a signature over anything else is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kinko import clock
from kinko.config import Settings
from kinko.db import Database
from kinko.web.app import create_app
from tests.auth.soft_authenticator import SoftAuthenticator
from tests.corporate import builders
from tests.corporate.bulkkit import FRIDAY, OWN, own_payees, transfer_file


@pytest.fixture
def app(db: Database) -> Iterator[TestClient]:
    clock.set_now(FRIDAY)
    with TestClient(create_app(db, Settings())) as client:
        yield client


def _h(corp: builders.Corp, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {corp.tokens[who]}"}


def register_phone(app: TestClient, corp: builders.Corp, who: str) -> SoftAuthenticator:
    phone = SoftAuthenticator(rp_id="testserver", origin="http://testserver")
    start = app.post("/api/v1/corporate/phone/register/begin", headers=_h(corp, who))
    assert start.status_code == 200, start.text
    done = app.post("/api/v1/corporate/phone/register/finish", headers=_h(corp, who), json={
        "challenge_id": start.json()["challenge_id"], "label": "iPhone",
        "credential": phone.register(start.json()["options"])})
    assert done.status_code == 201, done.text
    return phone


@pytest.mark.req("AUTH-12")
@pytest.mark.req("APR-1")
@pytest.mark.req("CRED-2")
def test_the_phone_signs_exactly_the_request_shown(db: Database, app: TestClient) -> None:
    corp = db.run(lambda s: builders.contract(s, smartphone_auth=True))
    db.run(lambda s: builders.grant(s, corp, "general", "H", [corp.representative]))
    own = db.run(lambda s: own_payees(s, 3))
    data = transfer_file([(OWN, b, n, h, 5_000) for b, n, h, _ in own])
    made = app.post("/api/v1/corporate/bulk/files", headers=_h(corp, "general"),
                    files={"file": ("furikomi.txt", data, "text/plain")})
    assert made.status_code == 201, made.text
    req: dict[str, Any] = made.json()
    assert req["approval_mode"] == "single" and req["count"] == 3 and req["total"] == 15_000
    phone = register_phone(app, corp, "admin")

    opened = app.post(f"/api/v1/corporate/bulk/{req['id']}/phone-approval",
                      headers=_h(corp, "admin")).json()
    [shown] = app.get("/api/v1/corporate/phone/approvals",
                      headers=_h(corp, "admin")).json()["approvals"]
    # What the phone shows is what the bank holds: list digest, total, count, value date.
    assert shown["details"] == req["signed_details"]
    assert {"payees_digest", "total", "count", "value_date"} <= set(shown["details"])
    # A browser taken over cannot get another request approved: a signature over other
    # details does not verify.
    forged = phone.assert_(shown["options"], challenge_override=b"\x00" * 32)
    refused = app.post(f"/api/v1/corporate/phone/approvals/{shown['approval_id']}",
                       headers=_h(corp, "admin"), json={"credential": forged})
    assert refused.status_code == 422
    signed = app.post(f"/api/v1/corporate/phone/approvals/{shown['approval_id']}",
                      headers=_h(corp, "admin"),
                      json={"credential": phone.assert_(shown["options"])})
    assert signed.status_code == 200, signed.text
    done = app.post(f"/api/v1/corporate/bulk/{req['id']}/approve", headers=_h(corp, "admin"),
                    json={"digest": req["digest"],
                          "phone_approval_id": opened["phone_approval_id"]})
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "approved"
    assert done.json()["approvals"] == [{"step": "single", "user_id": corp.users["admin"],
                                         "via_phone": True}]
    # CRED-2: a phone change is deregister, then register the new phone.
    assert app.post("/api/v1/corporate/phone/deregister",
                    headers=_h(corp, "admin")).json() == {"removed": 1}
    register_phone(app, corp, "admin")


@pytest.mark.req("AUTH-12")
def test_with_smartphone_authentication_a_pc_approval_alone_is_not_enough(
        db: Database) -> None:
    from kinko.bulk import service as bulk
    from kinko.bulk.errors import ApprovalNotAllowed
    from tests.corporate.bulkkit import approve

    clock.set_now(FRIDAY)
    corp = db.run(lambda s: builders.contract(s, smartphone_auth=True))
    own = db.run(lambda s: own_payees(s, 1))
    req = db.run(lambda s: bulk.from_zengin(s, corp.actor("master"), transfer_file(
        [(OWN, own[0][0], own[0][1], own[0][2], 1_000)])))
    with pytest.raises(ApprovalNotAllowed):
        approve(db, corp.actor("admin"), req.id)
    assert json.loads(bulk.details_json(req))["count"] == 1
