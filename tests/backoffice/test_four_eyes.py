"""OPS-1: operators with roles; sensitive actions need a second operator's approval."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from kinko import clock
from kinko.audit.models import AuditEvent
from kinko.auth import compromise, login
from kinko.auth.compromise import Credential
from kinko.auth.models import AuthUser, UserState
from kinko.auth.outcomes import Failed, Locked, LoggedIn, MustChangeCredentials, SuspendedOut
from kinko.backoffice import approvals, operators
from kinko.backoffice.errors import (
    ApprovalNotPending,
    FourEyesViolation,
    OperatorNotAllowed,
    UnknownAction,
)
from kinko.backoffice.models import ApprovalRequest, ApprovalState, OperatorRole
from kinko.db import Database
from tests.auth import builders
from tests.auth.builders import PASSWORD


def _staff(db: Database) -> tuple[int, int, int]:
    def make(s):  # type: ignore[no-untyped-def]
        teller = operators.create_operator(s, code="T001", name="窓口 花子",
                                           roles=[OperatorRole.TELLER], actor="system")
        security = operators.create_operator(s, code="S001", name="事務 太郎",
                                             roles=[OperatorRole.SECURITY], actor="system")
        other = operators.create_operator(s, code="S002", name="事務 次郎",
                                          roles=[OperatorRole.SECURITY], actor="system")
        return teller.id, security.id, other.id
    return db.run(make)


def _locked_user(db: Database) -> int:
    user_id = db.run(lambda s: builders.retail_001(s).id)
    for _ in range(5):
        db.run(login.login_retail_001, member_number="12345678", password="Wrong1Pass")
    return user_id


@pytest.mark.req("OPS-1")
@pytest.mark.req("AUTH-6")
def test_release_needs_a_second_operator(db: Database) -> None:
    teller, security, other = _staff(db)
    user_id = _locked_user(db)
    req = db.run(lambda s: approvals.request(
        s, action="auth.release_lock", subject_type="auth_user", subject_id=user_id,
        payload={"user_id": user_id}, reason="本人確認済み（来店）", requested_by=security).id)
    # The requester cannot approve, whatever their role.
    with pytest.raises(FourEyesViolation):
        db.run(approvals.approve, request_id=req, approver_id=security)
    # A teller may ask but not approve.
    with pytest.raises(OperatorNotAllowed):
        db.run(approvals.approve, request_id=req, approver_id=teller)
    assert isinstance(db.run(login.login_retail_001, member_number="12345678",
                             password=PASSWORD), Locked)
    decision = db.run(approvals.approve, request_id=req, approver_id=other, note="確認")
    assert decision.state is ApprovalState.EXECUTED
    assert isinstance(db.run(login.login_retail_001, member_number="12345678",
                             password=PASSWORD), LoggedIn)
    # Decided once: a second approval finds nothing pending.
    with pytest.raises(ApprovalNotPending):
        db.run(approvals.approve, request_id=req, approver_id=other)
    with db.transaction() as s:
        actions = s.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()
    assert "backoffice.approval_requested" in actions
    assert "backoffice.approval_executed" in actions
    assert "auth.released" in actions


@pytest.mark.req("OPS-1")
def test_the_database_refuses_a_self_approval(db: Database) -> None:
    teller, _security, _ = _staff(db)
    user_id = _locked_user(db)
    req = db.run(lambda s: approvals.request(
        s, action="auth.release_lock", subject_type="auth_user", subject_id=user_id,
        payload={"user_id": user_id}, reason="x", requested_by=teller).id)
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.execute(update(ApprovalRequest).where(ApprovalRequest.id == req)
                  .values(decided_by=teller, state=ApprovalState.EXECUTED))


@pytest.mark.req("OPS-1")
def test_reject_withdraw_expire_and_unknown_actions(db: Database) -> None:
    teller, security, _other = _staff(db)
    user_id = _locked_user(db)

    def ask(s):  # type: ignore[no-untyped-def]
        return approvals.request(s, action="auth.release_lock", subject_type="auth_user",
                                 subject_id=user_id, payload={"user_id": user_id},
                                 reason="申出", requested_by=teller).id
    first = db.run(ask)
    db.run(approvals.reject, request_id=first, approver_id=security, note="本人確認不足")
    second = db.run(ask)
    with pytest.raises(FourEyesViolation):
        db.run(approvals.withdraw, request_id=second, operator_id=security)
    db.run(approvals.withdraw, request_id=second, operator_id=teller)
    third = db.run(ask)
    clock.advance(timedelta(days=4))
    with db.transaction() as s:
        assert approvals.pending(s) == []
    with pytest.raises(ApprovalNotPending):
        db.run(approvals.approve, request_id=third, approver_id=security)
    assert db.run(approvals.expire_overdue) == 1
    with pytest.raises(UnknownAction):
        db.run(lambda s: approvals.request(s, action="auth.delete_everything",
                                           subject_type="x", subject_id=1, payload={},
                                           reason="x", requested_by=teller))
    with db.transaction() as s:
        user = s.get(AuthUser, user_id)
        assert user is not None and user.state is UserState.LOCKED


@pytest.mark.req("CRED-6")
@pytest.mark.req("SUSP-1")
def test_compromise_report_stops_at_once_and_resumes_by_four_eyes(db: Database) -> None:
    teller, security, _ = _staff(db)
    user_id = db.run(lambda s: builders.retail_001(s).id)
    session = db.run(login.login_retail_001, member_number="12345678", password=PASSWORD)
    assert isinstance(session, LoggedIn)
    report_id = db.run(compromise.report, user_id=user_id, credential=Credential.CARD,
                       channel="phone", actor=f"operator:{teller}")
    # Stopped at once: the open session is dead and login is refused.
    from kinko.auth import sessions
    from kinko.auth.errors import SessionExpired

    with pytest.raises(SessionExpired):
        db.run(sessions.authenticate, session.session_token)
    assert isinstance(db.run(login.login_retail_001, member_number="12345678",
                             password=PASSWORD), SuspendedOut)
    req = db.run(lambda s: approvals.request(
        s, action="auth.resume_service", subject_type="compromise_report",
        subject_id=report_id, payload={"report_id": report_id}, reason="カード再発行済み",
        requested_by=teller).id)
    decision = db.run(approvals.approve, request_id=req, approver_id=security)
    assert decision.output == [user_id]
    assert isinstance(db.run(login.login_retail_001, member_number="12345678",
                             password=PASSWORD), LoggedIn)


@pytest.mark.req("AUTH-10")
@pytest.mark.req("OPS-1")
def test_password_reset_issues_a_temporary_password_never_stored_in_clear(db: Database
                                                                          ) -> None:
    teller, security, _ = _staff(db)
    user_id = db.run(lambda s: builders.retail_001(s).id)
    req = db.run(lambda s: approvals.request(
        s, action="auth.reset_password", subject_type="auth_user", subject_id=user_id,
        payload={"user_id": user_id}, reason="失念届", requested_by=teller).id)
    decision = db.run(approvals.approve, request_id=req, approver_id=security)
    temporary = decision.output
    assert isinstance(temporary, str) and len(temporary) >= 8
    with db.transaction() as s:
        stored = s.get(ApprovalRequest, req)
        assert stored is not None and temporary not in (stored.result or "")
        events = s.execute(select(AuditEvent.data)).scalars().all()
        assert not any(temporary in e for e in events)
        assert json.loads(stored.result or "{}") == {"summary": "temporary password issued"}
    assert isinstance(db.run(login.login_retail_001, member_number="12345678",
                             password=PASSWORD), Failed)
    forced = db.run(login.login_retail_001, member_number="12345678", password=temporary)
    assert isinstance(forced, MustChangeCredentials)
    assert forced.change == frozenset({"login_password"})
