"""Use cases of periodic verification by face (KYC-1..6). Each takes a session and never
commits; every change and every read of an image is audited, and every step the customer must
know of is mailed.

Matching itself runs outside the database transaction (it takes a few hundred milliseconds):
the web layer reads the case and the document face (:func:`load_for_match`) and ends that
transaction, runs the matcher and the head-turn check with no transaction open, then records
the attempt in a second short one (:func:`record_attempt`, which refuses a stale match).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.service import record
from kinko.auth.effects import notify
from kinko.auth.models import AuthUser, UserRole
from kinko.notifications.errors import InvalidAddress
from kinko.notifications.service import queue_email
from kinko.onboarding.restrictions import hold
from kinko.parties.models import Customer, CustomerKind
from kinko.policy import Policy, current_policy
from kinko.verification import notices as _notices  # noqa: F401 - registers the notices
from kinko.verification import repository as repo
from kinko.verification import vault
from kinko.verification.errors import (
    CaseNotOpen,
    NoDocumentFace,
    NotAnIndividual,
    VerificationRestricted,
)
from kinko.verification.matching import MatchResult
from kinko.verification.models import (
    CaseState,
    ImageKind,
    VerificationCase,
    VerificationImage,
)
from kinko.verification.rules import Outcome, deadline_of, next_due

SUBJECT = "verification_case"
DELETE_BATCH = 500


# --- effects --------------------------------------------------------------------------------

def _audit(session: Session, *, actor: str, action: str, case: VerificationCase | None = None,
           customer_id: int | None = None, **data: Any) -> None:
    if case is not None:
        record(session, actor=actor, action=action, subject_type=SUBJECT, subject_id=case.id,
               data={"customer_id": case.customer_id, **data})
    else:
        record(session, actor=actor, action=action, subject_type="customer",
               subject_id=customer_id or "", data=data)


def _holder(session: Session, customer_id: int) -> AuthUser | None:
    return session.execute(
        select(AuthUser).where(AuthUser.customer_id == customer_id,
                               AuthUser.role == UserRole.HOLDER)
        .order_by(AuthUser.id).limit(1)).scalar_one_or_none()


def _mail(session: Session, customer_id: int, template: str, **data: Any) -> None:
    user = _holder(session, customer_id)
    if user is not None:
        notify(session, user, template, **data)
        return
    customer = session.get(Customer, customer_id)
    if customer is not None and customer.email:
        try:
            queue_email(session, to=customer.email, template=template, data=data)
        except InvalidAddress:
            _audit(session, actor="system", action="verification.notice_skipped",
                   customer_id=customer_id, template=template)


def _individual(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None or customer.kind is not CustomerKind.INDIVIDUAL:
        raise NotAnIndividual(detail=str(customer_id))
    return customer


# --- images (KYC-6) --------------------------------------------------------------------------

def _store(session: Session, *, customer_id: int, kind: ImageKind, image: bytes,
           case_id: int | None, expires_at: datetime | None, actor: str,
           current: bool = False) -> VerificationImage:
    row = VerificationImage(customer_id=customer_id, case_id=case_id, kind=kind,
                            ciphertext=vault.seal(image, customer_id=customer_id,
                                                  kind=kind.value),
                            current=current, created_at=clock.now(), expires_at=expires_at)
    session.add(row)
    session.flush()
    _audit(session, actor=actor, action="verification.image_stored", customer_id=customer_id,
           image_id=row.id, kind=kind.value, case_id=case_id,
           expires_at=expires_at.isoformat() if expires_at else None)
    return row


def read_image(session: Session, image_id: int, *, actor: str, purpose: str) -> bytes | None:
    """The image's bytes (None once deleted); every read is audited with its purpose."""
    row = session.get(VerificationImage, image_id)
    if row is None:
        return None
    _audit(session, actor=actor, action="verification.image_read", customer_id=row.customer_id,
           image_id=row.id, kind=row.kind.value, purpose=purpose,
           deleted=row.ciphertext is None)
    if row.ciphertext is None:
        return None
    return vault.open_sealed(row.ciphertext, customer_id=row.customer_id, kind=row.kind.value)


def _retire_document_faces(session: Session, customer_id: int, policy: Policy) -> None:
    """The document faces no longer in force are kept for the retention period, then deleted."""
    until = clock.now() + timedelta(days=policy.kyc.face_image_retention_days)
    for old in session.execute(select(VerificationImage).where(
            VerificationImage.customer_id == customer_id,
            VerificationImage.kind == ImageKind.DOCUMENT_FACE,
            VerificationImage.current.is_(True))).scalars():
        old.current, old.expires_at = False, until


def register_document_face(session: Session, *, customer_id: int, photo: bytes, actor: str,
                           source: str = "account_opening") -> int:
    """Store the face of the identity document checked at account opening (or accepted again
    after a failed verification); it is what later selfies are matched against. The caller
    has checked that the photo shows a face (:func:`kinko.verification.capture.check_face`)."""
    _individual(session, customer_id)
    _retire_document_faces(session, customer_id, current_policy())
    row = _store(session, customer_id=customer_id, kind=ImageKind.DOCUMENT_FACE, image=photo,
                 case_id=None, expires_at=None, actor=actor, current=True)
    _audit(session, actor=actor, action="verification.document_face_registered",
           customer_id=customer_id, image_id=row.id, source=source)
    return row.id


def _document_face(session: Session, customer_id: int, *, actor: str
                   ) -> tuple[int, bytes]:
    face = repo.current_document_face(session, customer_id)
    if face is None:
        raise NoDocumentFace(detail=str(customer_id))
    image = read_image(session, face.id, actor=actor, purpose="match")
    if image is None:  # pragma: no cover - a current face is never deleted
        raise NoDocumentFace(detail=str(customer_id))
    return face.id, image


def document_face_for_match(session: Session, customer_id: int, *, actor: str) -> bytes:
    return _document_face(session, customer_id, actor=actor)[1]


@dataclass(frozen=True)
class MatchInput:
    """What one capture is matched against, read in a short transaction of its own: the
    document face, and the case as it stood (so that the recording can tell whether it
    changed while the match ran with no transaction open)."""

    case_id: int
    attempts: int
    document_face_id: int
    document: bytes


def load_for_match(session: Session, *, customer_id: int, case_id: int, actor: str
                   ) -> MatchInput:
    """The case, which must be due, and the document face (its read is audited). No lock is
    taken: the match that follows runs after this transaction has ended."""
    case = session.get(VerificationCase, case_id)
    if case is None or case.customer_id != customer_id or case.state is not CaseState.DUE:
        raise CaseNotOpen(detail=str(case_id))
    face_id, document = _document_face(session, customer_id, actor=actor)
    return MatchInput(case.id, case.attempts, face_id, document)


# --- schedule (KYC-1, KYC-4) ------------------------------------------------------------------

def mark_due(session: Session, *, at: datetime, policy: Policy) -> list[int]:
    """Open a case for every individual whose interval has run out since the last passed
    verification (or the registration of the document face); mail the request."""
    opened = []
    for customer_id in repo.customers_with_document_face_and_no_open_case(session):
        face = repo.current_document_face(session, customer_id)
        if face is None:  # pragma: no cover - selected for having one
            continue
        baseline = max(filter(None, (repo.last_passed_at(session, customer_id),
                                     face.created_at)))
        if next_due(baseline, policy.kyc.interval_days) > at:
            continue
        customer = session.get(Customer, customer_id)
        if customer is None or customer.kind is not CustomerKind.INDIVIDUAL:
            continue
        case = VerificationCase(customer_id=customer_id, state=CaseState.DUE, due_at=at,
                                deadline_at=deadline_of(at, policy.kyc.deadline_days),
                                attempts=0, restricted=False, created_at=clock.now())
        session.add(case)
        session.flush()
        _audit(session, actor="system:batch", action="verification.due", case=case,
               deadline=case.deadline_at.isoformat())
        _mail(session, customer_id, "verification.requested",
              deadline=case.deadline_at.isoformat())
        opened.append(case.id)
    return opened


def _ask_for_documents(session: Session, case: VerificationCase, *, reason: str,
                       policy: Policy, actor: str) -> None:
    case.restricted = policy.kyc.restrict_on_failure
    _audit(session, actor=actor, action="verification.documents_requested", case=case,
           reason=reason, restricted=case.restricted)
    _mail(session, case.customer_id, "verification.documents_requested", reason=reason,
          restricted=case.restricted)


def expire_overdue(session: Session, *, at: datetime, policy: Policy) -> list[int]:
    """KYC-4: a case not verified by its deadline asks for the documents again and restricts
    the account per policy."""
    done = []
    for case in repo.due_past_deadline(session, at):
        case.state, case.decided_at, case.decided_by = CaseState.OVERDUE, at, "system:batch"
        case.outcome = "overdue"
        _ask_for_documents(session, case, reason="overdue", policy=policy, actor="system:batch")
        done.append(case.id)
    return done


def delete_expired_images(session: Session, *, at: datetime) -> int:
    """KYC-6: images past their retention lose their bytes; the row stays for the audit."""
    rows = repo.expired_images(session, at, DELETE_BATCH)
    for row in rows:
        row.ciphertext, row.deleted_at = None, at
        _audit(session, actor="system:batch", action="verification.image_deleted",
               customer_id=row.customer_id, image_id=row.id, kind=row.kind.value,
               expires_at=row.expires_at.isoformat() if row.expires_at else None)
    return len(rows)


# --- the customer's side (KYC-2, KYC-3) ---------------------------------------------------------

def notice_for(session: Session, customer_id: int) -> VerificationCase | None:
    """The case behind the 【重要】 notice after login: one the customer must act on."""
    case = repo.open_case(session, customer_id)
    if case is None or case.state not in (CaseState.DUE, CaseState.FAILED, CaseState.OVERDUE):
        return None
    return case


def open_case(session: Session, customer_id: int) -> VerificationCase | None:
    return repo.open_case(session, customer_id)


@dataclass(frozen=True)
class Attempt:
    case_id: int
    state: CaseState
    outcome: str              # an Outcome value, or "head_turn_missing"
    reason: str | None = None
    frames_kept: list[int] = field(default_factory=list)


def record_attempt(session: Session, *, customer_id: int, case_id: int,
                   result: MatchResult | None, head_turn: bool, selfie: bytes,
                   frames: Sequence[bytes], actor: str, policy: Policy,
                   matched: MatchInput | None = None) -> Attempt:
    """Record one capture: keep the images encrypted for the retention period and apply the
    outcome. Without the head turn, or without a usable face, the case stays due (the
    customer may take it again).

    ``matched``: what the match was made against (:func:`load_for_match`). The case is
    locked here; if another attempt was recorded or the document face replaced since it was
    read, this match is stale and nothing is recorded (:class:`CaseNotOpen`)."""
    case = repo.case_for_update(session, case_id)
    if case is None or case.customer_id != customer_id or case.state is not CaseState.DUE:
        raise CaseNotOpen(detail=str(case_id))
    if matched is not None:
        face = repo.current_document_face(session, customer_id)
        if (matched.case_id != case.id or case.attempts != matched.attempts
                or face is None or face.id != matched.document_face_id):
            raise CaseNotOpen(detail=f"case {case_id} changed during the match")
    now = clock.now()
    until = now + timedelta(days=policy.kyc.face_image_retention_days)
    _store(session, customer_id=customer_id, kind=ImageKind.SELFIE, image=selfie,
           case_id=case.id, expires_at=until, actor=actor)
    kept = [_store(session, customer_id=customer_id, kind=ImageKind.FRAME, image=frame,
                   case_id=case.id, expires_at=until, actor=actor).id for frame in frames]
    case.attempts += 1
    if not head_turn or result is None:
        # Not matched at all: a capture that fails the presentation-attack check decides
        # nothing, whatever face it shows.
        _audit(session, actor=actor, action="verification.head_turn_missing", case=case,
               frames=len(frames))
        return Attempt(case.id, case.state, "head_turn_missing", None, kept)
    case.matcher = result.matcher
    case.outcome = result.outcome.value
    case.distance_milli = None if result.distance is None else round(result.distance * 1000)
    _audit(session, actor=actor, action="verification.matched", case=case,
           outcome=result.outcome.value, distance=result.distance, matcher=result.matcher,
           reason=result.reason)
    if result.outcome is Outcome.NO_FACE:
        return Attempt(case.id, case.state, result.outcome.value, result.reason, kept)
    case.decided_at, case.decided_by = now, f"matcher:{result.matcher}"
    if result.outcome is Outcome.SAME_PERSON:
        case.state = CaseState.PASSED
        _mail(session, customer_id, "verification.passed")
    elif result.outcome is Outcome.REVIEW:
        case.state, case.decided_at, case.decided_by = CaseState.REVIEW, None, None
        _mail(session, customer_id, "verification.under_review")
    else:
        case.state = CaseState.FAILED
        _ask_for_documents(session, case, reason="different_person", policy=policy,
                           actor=actor)
    return Attempt(case.id, case.state, result.outcome.value, result.reason, kept)


def resubmit_documents(session: Session, *, customer_id: int, photo: bytes, actor: str,
                       policy: Policy) -> int:
    """KYC-4: the customer uploads the identity document again; the bank checks it (the review
    queue). The restriction stays until an operator decides."""
    case = repo.open_case(session, customer_id)
    if case is None or case.state not in (CaseState.FAILED, CaseState.OVERDUE,
                                          CaseState.RESUBMITTED):
        raise CaseNotOpen(detail="no documents are asked for")
    until = clock.now() + timedelta(days=policy.kyc.face_image_retention_days)
    row = _store(session, customer_id=customer_id, kind=ImageKind.RESUBMITTED_DOCUMENT,
                 image=photo, case_id=case.id, expires_at=until, actor=actor)
    case.state = CaseState.RESUBMITTED
    _audit(session, actor=actor, action="verification.documents_resubmitted", case=case,
           image_id=row.id)
    _mail(session, customer_id, "verification.documents_received")
    return row.id


# --- the bank's side (KYC-5, OPS-1) ----------------------------------------------------------

OVERRIDABLE = (CaseState.REVIEW, CaseState.FAILED, CaseState.OVERDUE, CaseState.RESUBMITTED)
DECISIONS = ("same_person", "different_person")


def override(session: Session, *, case_id: int, decision: str, actor: str,
             request_id: int | None = None, note: str = "") -> CaseState:
    """An operator's decision on a case, carried out on a second operator's approval: "same
    person" passes it and lifts the restriction (a resubmitted document becomes the face
    later selfies are matched against); "different person" fails it and asks for the
    documents (again)."""
    if decision not in DECISIONS:
        raise CaseNotOpen(detail=f"unknown decision {decision!r}")
    case = repo.case_for_update(session, case_id)
    if case is None or case.state not in OVERRIDABLE:
        raise CaseNotOpen(detail=str(case_id))
    policy = current_policy()
    before = case.state
    case.decided_at, case.decided_by = clock.now(), actor
    case.note = note[:500] or None
    if decision == "same_person":
        case.state, case.restricted = CaseState.PASSED, False
        resubmitted = repo.case_images(session, case.id, ImageKind.RESUBMITTED_DOCUMENT)
        if resubmitted and resubmitted[-1].ciphertext is not None:
            photo = read_image(session, resubmitted[-1].id, actor=actor,
                               purpose="register as document face")
            assert photo is not None
            register_document_face(session, customer_id=case.customer_id, photo=photo,
                                   actor=actor, source=f"resubmission case {case.id}")
        _mail(session, case.customer_id, "verification.passed")
    else:
        case.state = CaseState.FAILED
        case.restricted = policy.kyc.restrict_on_failure
        _mail(session, case.customer_id, "verification.rejected", restricted=case.restricted)
    _audit(session, actor=actor, action="verification.overridden", case=case,
           before=before.value, decision=decision, request_id=request_id,
           restricted=case.restricted)
    return case.state


# --- the restriction (KYC-4, SUSP-1) ----------------------------------------------------------

def _restriction(session: Session, customer_id: int, function: str
                 ) -> VerificationRestricted | None:
    if repo.restricted(session, customer_id):
        return VerificationRestricted(detail=function)
    return None


# A hold of the bank's one restriction service; the flag lets the request's authentication
# answer it with the customer (no statement).
hold("verification", _restriction, flag=repo.restricted_flag)


def reencrypt_images(session: Session, *, actor: str) -> int:
    """Move every stored image made under a previous secret key to the current one (key
    rotation); raises :class:`~kinko.verification.vault.ImageUndecryptable` if one opens
    under no configured key (the caller's transaction then rolls back)."""
    moved = 0
    for row in session.execute(select(VerificationImage).where(
            VerificationImage.ciphertext.is_not(None))).scalars():
        assert row.ciphertext is not None
        fresh = vault.reseal(row.ciphertext, customer_id=row.customer_id, kind=row.kind.value)
        if fresh is not None:
            row.ciphertext = fresh
            moved += 1
    _audit(session, actor=actor, action="verification.images_reencrypted", images=moved)
    return moved
