"""Schedule, outcomes, restriction, retention and four eyes of periodic verification, on the
real database with the real matcher (KYC-1, KYC-3..6, OPS-1)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from kinko import clock
from kinko.audit.models import AuditEvent
from kinko.backoffice import approvals
from kinko.backoffice.errors import FourEyesViolation
from kinko.db import Database
from kinko.parties.residency import check_allowed
from kinko.policy import Policy
from kinko.verification import repository as repo
from kinko.verification import service, vault
from kinko.verification.dlib_matcher import DlibMatcher
from kinko.verification.errors import CaseNotOpen, VerificationRestricted
from kinko.verification.jobs import sweep
from kinko.verification.models import CaseState, ImageKind, VerificationImage
from kinko.verification.review import ACTION
from kinko.verification.rules import Thresholds
from tests.verification.conftest import START, Individual, mails, policy_days, reviewers
from tests.verification.faces import photo

POLICY = Policy()


def _events(db: Database, action: str) -> list[AuditEvent]:
    with db.transaction() as s:
        return list(s.execute(select(AuditEvent).where(AuditEvent.action == action))
                    .scalars())


def _due(db: Database, person: Individual) -> int:
    interval, _, _ = policy_days()
    report = sweep(db, START + timedelta(days=interval))
    assert report.due == 1
    with db.transaction() as s:
        case = service.notice_for(s, person.customer_id)
        assert case is not None
        return case.id


def _attempt(db: Database, person: Individual, case_id: int, selfie: str,
             head_turn: bool = True) -> service.Attempt:
    with db.transaction() as s:
        document = service.document_face_for_match(s, person.customer_id, actor="test")
    result = DlibMatcher().match(document, photo(selfie), Thresholds.of(POLICY.kyc))
    return db.run(lambda s: service.record_attempt(
        s, customer_id=person.customer_id, case_id=case_id, result=result, head_turn=head_turn,
        selfie=photo(selfie), frames=[photo(selfie)], actor=f"user:{person.user_id}",
        policy=POLICY))


@pytest.mark.req("KYC-1")
def test_individuals_are_marked_due_after_the_policy_interval(db: Database,
                                                              person: Individual) -> None:
    interval, deadline, _ = policy_days()
    assert sweep(db, START + timedelta(days=interval, seconds=-1)).due == 0
    case_id = _due(db, person)
    assert sweep(db, START + timedelta(days=interval, hours=1)).due == 0  # once per period
    with db.transaction() as s:
        case = repo.case_for_update(s, case_id)
        assert case is not None and case.state is CaseState.DUE
        assert case.deadline_at == START + timedelta(days=interval + deadline)
    assert len(mails(db, "verification.requested")) == 1
    assert len(_events(db, "verification.due")) == 1


@pytest.mark.req("KYC-3")
def test_same_person_passes_and_the_next_interval_counts_from_then(
        db: Database, person: Individual) -> None:
    case_id = _due(db, person)
    clock.set_now(START + timedelta(days=400))
    attempt = _attempt(db, person, case_id, "obama2")
    assert (attempt.state, attempt.outcome) == (CaseState.PASSED, "same_person")
    assert len(mails(db, "verification.passed")) == 1
    interval, _, _ = policy_days()
    assert sweep(db, START + timedelta(days=400 + interval - 1)).due == 0
    assert sweep(db, START + timedelta(days=400 + interval)).due == 1


@pytest.mark.req("KYC-4")
def test_different_person_asks_for_documents_and_restricts_fund_movements(
        db: Database, person: Individual) -> None:
    case_id = _due(db, person)
    with db.transaction() as s:
        check_allowed(s, person.customer_id, "transfer")  # not restricted yet
    attempt = _attempt(db, person, case_id, "biden")
    assert (attempt.state, attempt.outcome) == (CaseState.FAILED, "different_person")
    with db.transaction() as s, pytest.raises(VerificationRestricted):
        check_allowed(s, person.customer_id, "transfer")
    mail = mails(db, "verification.documents_requested")
    assert len(mail) == 1 and mail[0]["data"] == {"reason": "different_person",
                                                  "restricted": True}
    # The customer uploads the document again; the case waits for the bank.
    db.run(lambda s: service.resubmit_documents(s, customer_id=person.customer_id,
                                                photo=photo("obama"), actor="user",
                                                policy=POLICY))
    with db.transaction() as s:
        assert repo.open_case(s, person.customer_id).state is CaseState.RESUBMITTED  # type: ignore[union-attr]


@pytest.mark.req("KYC-4")
def test_no_verification_by_the_deadline_asks_for_documents(db: Database,
                                                            person: Individual) -> None:
    case_id = _due(db, person)
    interval, deadline, _ = policy_days()
    assert sweep(db, START + timedelta(days=interval + deadline, seconds=-1)).overdue == 0
    assert sweep(db, START + timedelta(days=interval + deadline)).overdue == 1
    with db.transaction() as s:
        case = repo.case_for_update(s, case_id)
        assert case is not None and (case.state, case.restricted) == (CaseState.OVERDUE, True)
    assert mails(db, "verification.documents_requested")[0]["data"]["reason"] == "overdue"
    with pytest.raises(CaseNotOpen):
        _attempt(db, person, case_id, "obama2")


def test_a_policy_that_does_not_restrict_only_asks_for_documents(
        db: Database, person: Individual) -> None:
    case_id = _due(db, person)
    lenient = POLICY.model_copy(update={"kyc": POLICY.kyc.model_copy(
        update={"restrict_on_failure": False})})
    with db.transaction() as s:
        document = service.document_face_for_match(s, person.customer_id, actor="test")
    result = DlibMatcher().match(document, photo("biden"), Thresholds.of(POLICY.kyc))
    db.run(lambda s: service.record_attempt(
        s, customer_id=person.customer_id, case_id=case_id, result=result, head_turn=True,
        selfie=photo("biden"), frames=[], actor="user", policy=lenient))
    with db.transaction() as s:
        check_allowed(s, person.customer_id, "transfer")


def test_without_the_head_turn_nothing_is_decided(db: Database, person: Individual) -> None:
    case_id = _due(db, person)
    attempt = _attempt(db, person, case_id, "biden", head_turn=False)
    assert (attempt.state, attempt.outcome) == (CaseState.DUE, "head_turn_missing")
    assert _attempt(db, person, case_id, "obama2").state is CaseState.PASSED


@pytest.mark.req("KYC-6")
def test_images_are_encrypted_and_every_read_is_audited(db: Database,
                                                        person: Individual) -> None:
    with db.transaction() as s:
        face = repo.current_document_face(s, person.customer_id)
        assert face is not None and face.ciphertext is not None
        assert b"JFIF" not in face.ciphertext and photo("obama")[:64] not in face.ciphertext
        with pytest.raises(vault.ImageUndecryptable):  # bound to its customer
            vault.open_sealed(face.ciphertext, customer_id=person.customer_id + 1,
                              kind=face.kind.value)
        face_id = face.id
    image = db.run(lambda s: service.read_image(s, face_id, actor="operator:9",
                                                purpose="review"))
    assert image == photo("obama")
    reads = _events(db, "verification.image_read")
    assert [(e.actor, e.data) for e in reads if "review" in e.data] and \
        any(e.actor == "operator:9" for e in reads)


@pytest.mark.req("KYC-6")
def test_images_are_deleted_after_the_retention_period(db: Database,
                                                       person: Individual) -> None:
    case_id = _due(db, person)
    _, _, retention = policy_days()
    taken = START + timedelta(days=380)
    clock.set_now(taken)
    _attempt(db, person, case_id, "obama2")
    assert sweep(db, taken + timedelta(days=retention, seconds=-1)).images_deleted == 0
    assert sweep(db, taken + timedelta(days=retention)).images_deleted == 2  # selfie + frame
    with db.transaction() as s:
        kept = s.execute(select(VerificationImage).where(
            VerificationImage.case_id == case_id)).scalars().all()
        assert {(i.kind, i.ciphertext, i.deleted_at is not None) for i in kept} == {
            (ImageKind.SELFIE, None, True), (ImageKind.FRAME, None, True)}
        # the document face in force is kept
        assert repo.current_document_face(s, person.customer_id) is not None
        selfie_id = kept[0].id
    assert db.run(lambda s: service.read_image(s, selfie_id, actor="a", purpose="p")) is None
    assert len(_events(db, "verification.image_deleted")) == 2


@pytest.mark.req("KYC-5")
@pytest.mark.req("OPS-1")
def test_an_override_needs_a_second_reviewer_and_lifts_the_restriction(
        db: Database, person: Individual) -> None:
    case_id = _due(db, person)
    _attempt(db, person, case_id, "biden")
    maker, checker = reviewers(db)
    request_id = db.run(lambda s: approvals.request(
        s, action=ACTION, subject_type="verification_case", subject_id=case_id,
        payload={"case_id": case_id, "decision": "same_person"}, reason="本人と確認",
        requested_by=maker).id)
    with pytest.raises(FourEyesViolation):
        db.run(lambda s: approvals.approve(s, request_id=request_id, approver_id=maker))
    with db.transaction() as s, pytest.raises(VerificationRestricted):
        check_allowed(s, person.customer_id, "transfer")
    decision = db.run(lambda s: approvals.approve(s, request_id=request_id,
                                                  approver_id=checker))
    assert decision.output == {"case_id": str(case_id), "state": CaseState.PASSED.value}
    with db.transaction() as s:
        check_allowed(s, person.customer_id, "transfer")
    overridden = _events(db, "verification.overridden")
    assert len(overridden) == 1 and '"decision":"same_person"' in overridden[0].data
    assert len(mails(db, "verification.passed")) == 1


def test_the_batch_run_includes_the_sweep(db: Database, person: Individual) -> None:
    from kinko.batch.service import run_due

    interval, _, _ = policy_days()
    run_due(db, at=START + timedelta(days=interval))
    with db.transaction() as s:
        assert service.notice_for(s, person.customer_id) is not None
