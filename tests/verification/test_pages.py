"""The verification flow over real HTTP through the app (KYC-2..6, OPS-1, OPS-2): the notice
after login, the capture page, the upload fallback with the head-turn check, the outcomes,
the resubmission of documents, and the operators' four-eyes override."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kinko import clock
from kinko.audit.models import AuditEvent
from kinko.auth import sessions
from kinko.auth.models import AuthUser
from kinko.auth.policy import rules_for
from kinko.config import Settings
from kinko.db import Database
from kinko.verification import repository as repo
from kinko.verification import service
from kinko.verification.jobs import sweep
from kinko.verification.models import VerificationImage
from kinko.web.app import create_app
from tests.verification.conftest import START, mails, policy_days, reviewers, sign_in_operator
from tests.verification.faces import photo, shifted, turned
from tests.web.conftest import login

HTML = {"Accept": "text/html"}


@dataclass
class Due:
    client: TestClient
    customer_id: int
    account_id: int
    payee: tuple[str, str]


@pytest.fixture
def due(db: Database) -> Iterator[Due]:
    """A logged-in individual whose verification is due."""
    clock.set_now(START)
    user_id, account_id, _ = login(db)
    with db.transaction() as s:
        user = s.get(AuthUser, user_id)
        assert user is not None
        customer_id = user.customer_id
        service.register_document_face(s, customer_id=customer_id, photo=photo("obama"),
                                       actor="operator:opening")
    interval, _, _ = policy_days()
    clock.set_now(START + timedelta(days=interval))
    assert sweep(db).due == 1
    with db.transaction() as s:  # the customer logs in now
        user = s.get(AuthUser, user_id)
        assert user is not None
        token, _ = sessions.start(s, user, rules_for(user.product))
    with TestClient(create_app(db, Settings())) as client:
        client.headers.update(HTML)
        client.headers["Authorization"] = f"Bearer {token}"
        yield Due(client, customer_id, account_id, ("001", "0000000"))


def _send(client: TestClient, selfie: bytes, frames: list[bytes]) -> str:
    files = [("selfie", ("selfie.jpg", selfie, "image/jpeg"))] + [
        ("frames", (f"f{i}.jpg", f, "image/jpeg")) for i, f in enumerate(frames)]
    response = client.post("/banking/verification", files=files)
    assert response.status_code == 200, response.text
    return response.text


HEAD_TURN = [turned("obama2", 0.6), turned("obama2", 1.4)]


@pytest.mark.req("KYC-2")
def test_the_notice_after_login_leads_to_the_capture_page(due: Due) -> None:
    home = due.client.get("/banking").text
    assert "【重要】ご利用者さま確認手続きのお願い" in home
    assert 'href="/banking/verification"' in home
    page = due.client.get("/banking/verification").text
    assert 'id="capture-form"' in page and 'src="/static/verification.js"' in page
    assert 'capture="user"' in page  # the upload fallback opens the phone's front camera
    script = due.client.get("/static/verification.js")
    assert script.status_code == 200 and "getUserMedia" in script.text
    assert "http" not in script.text.replace("https://", "")  # nothing from elsewhere


@pytest.mark.req("KYC-3")
def test_same_person_with_a_head_turn_continues(due: Due, db: Database) -> None:
    result = _send(due.client, photo("obama2"), HEAD_TURN)
    assert 'data-outcome="same_person"' in result
    assert "【重要】" not in due.client.get("/banking").text
    assert len(mails(db, "verification.passed")) == 1


def test_a_photo_held_to_the_camera_fails_the_head_turn_check(due: Due, db: Database) -> None:
    result = _send(due.client, photo("obama2"),
                   [shifted("obama2", -30), shifted("obama2", 30, 0.9)])
    assert 'data-outcome="head_turn_missing"' in result
    assert "【重要】" in due.client.get("/banking").text  # still due
    with db.transaction() as s:
        assert s.execute(select(AuditEvent).where(
            AuditEvent.action == "verification.head_turn_missing")).first() is not None


def test_an_unreadable_upload_is_a_friendly_page_and_changes_nothing(due: Due,
                                                                    db: Database) -> None:
    response = due.client.post("/banking/verification",
                               files=[("selfie", ("s.jpg", b"not an image", "image/jpeg"))])
    assert response.status_code == 422
    assert "画像を読み取れません" in response.text
    with db.transaction() as s:
        case = service.open_case(s, due.customer_id)
        assert case is not None and case.attempts == 0


@pytest.mark.req("KYC-4")
@pytest.mark.req("KYC-5")
@pytest.mark.req("OPS-1")
def test_different_person_restricts_then_documents_and_a_four_eyes_override(
        due: Due, db: Database) -> None:
    result = _send(due.client, turned("biden", 1.0), [turned("biden", 0.6),
                                                      turned("biden", 1.4)])
    assert 'data-outcome="different_person"' in result
    assert 'href="/banking/verification/documents"' in result
    # The account is restricted: a transfer is refused with the verification's message.
    refused = due.client.post("/banking/transfer", data={
        "key": uuid.uuid4().hex, "from_account_id": str(due.account_id), "bank_code": "0999",
        "branch_code": "001", "account_type": "ordinary", "number": "1234567",
        "amount": "1000"})
    assert refused.status_code == 422 and "ご利用者さま確認が取れるまで" in refused.text
    assert "【重要】" in due.client.get("/banking").text
    sent = due.client.post("/banking/verification/documents",
                           files=[("document", ("id.jpg", photo("obama"), "image/jpeg"))])
    assert sent.status_code == 200 and 'id="documents-sent"' in sent.text

    maker, checker = reviewers(db)
    with TestClient(create_app(db, Settings())) as console:
        console.headers.update(HTML)
        sign_in_operator(console, db, maker)
        queue = console.get("/operator/verification").text
        with db.transaction() as s:
            case = service.open_case(s, due.customer_id)
            assert case is not None
            case_id = case.id
        assert f'href="/operator/verification/{case_id}"' in queue
        page = console.get(f"/operator/verification/{case_id}").text
        image_ids = [int(part.split('"')[0]) for part in
                     page.split('src="/operator/verification/images/')[1:]]
        assert len(image_ids) == 3  # document at opening, selfie, resubmitted document
        shown = console.get(f"/operator/verification/images/{image_ids[0]}")
        assert shown.status_code == 200 and shown.content == photo("obama")
        csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
        asked = console.post(f"/operator/verification/{case_id}/override", data={
            "csrf_token": csrf, "decision": "same_person", "reason": "書類で本人確認"})
        assert asked.status_code == 200 and 'id="override-requested"' in asked.text
        request_id = int(asked.text.split('id="override-requested"')[1]
                         .split("依頼番号")[1].split("）")[0].strip().split()[0])
        own = console.post(f"/operator/requests/{request_id}/approve",
                           data={"csrf_token": csrf})
        assert own.status_code == 403  # maker ≠ checker
    with TestClient(create_app(db, Settings())) as console:
        console.headers.update(HTML)
        sign_in_operator(console, db, checker)
        page = console.get("/operator").text
        csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
        approved = console.post(f"/operator/requests/{request_id}/approve",
                                data={"csrf_token": csrf}, follow_redirects=False)
        assert approved.status_code == 303, approved.text
    with db.transaction() as s:
        assert service.open_case(s, due.customer_id) is None
        # The accepted document is the face later selfies are matched against; the face of
        # the opening now expires with the retention period.
        current = repo.current_document_face(s, due.customer_id)
        assert current is not None and current.id not in image_ids
        opening = s.get(VerificationImage, image_ids[0])
        assert opening is not None and not opening.current and opening.expires_at is not None
        views = s.execute(select(AuditEvent).where(
            AuditEvent.action == "verification.image_read",
            AuditEvent.actor == f"operator:{maker}")).scalars().all()
        assert views
    assert "【重要】" not in due.client.get("/banking").text
    assert len(mails(db, "verification.passed")) == 1


def test_someone_else_turning_beside_a_held_up_photo_does_not_pass(due: Due) -> None:
    result = _send(due.client, photo("obama2"), [turned("biden", 0.6), turned("biden", 1.4)])
    assert 'data-outcome="head_turn_missing"' in result


@pytest.mark.req("KYC-3")
def test_the_match_runs_with_no_transaction_open_and_a_stale_match_records_nothing(
        due: Due, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """While the selfie is being matched, another capture of the same case is recorded in a
    transaction of its own: it goes through at once (the request holds no transaction, lock
    or SQLite writer slot during the match), and the match, now stale, is not recorded."""
    from kinko.policy import current_policy
    from kinko.verification import capture

    real = capture.matcher_for

    class Concurrent:
        def __init__(self, kyc: Any) -> None:
            self.inner = real(kyc)

        def match(self, document: bytes, selfie: bytes, thresholds: Any) -> Any:
            def other_capture(s: Any) -> None:
                case = service.open_case(s, due.customer_id)
                assert case is not None
                service.record_attempt(s, customer_id=due.customer_id, case_id=case.id,
                                       result=None, head_turn=False, selfie=selfie,
                                       frames=[], actor="user:other-tab",
                                       policy=current_policy())
            db.run(other_capture)
            return self.inner.match(document, selfie, thresholds)

    monkeypatch.setattr(capture, "matcher_for", Concurrent)
    files = [("selfie", ("selfie.jpg", photo("obama2"), "image/jpeg"))] + [
        ("frames", (f"f{i}.jpg", f, "image/jpeg")) for i, f in enumerate(HEAD_TURN)]
    response = due.client.post("/banking/verification", files=files)
    assert response.status_code == 409, response.text[:300]
    assert "この確認手続きは現在お受けできません" in response.text
    with db.transaction() as s:
        case = service.open_case(s, due.customer_id)
        assert case is not None and case.attempts == 1 and case.outcome is None
        assert s.execute(select(AuditEvent).where(
            AuditEvent.action == "verification.matched")).first() is None
    assert mails(db, "verification.passed") == []
