"""Every query of periodic verification, nothing else."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session

from kinko.parties.restrictions import CustomerId
from kinko.verification.models import (
    OPEN_STATES,
    CaseState,
    ImageKind,
    VerificationCase,
    VerificationImage,
)


def current_document_face(session: Session, customer_id: int) -> VerificationImage | None:
    return session.execute(
        select(VerificationImage).where(
            VerificationImage.customer_id == customer_id,
            VerificationImage.kind == ImageKind.DOCUMENT_FACE,
            VerificationImage.current.is_(True),
            VerificationImage.deleted_at.is_(None))
        .order_by(VerificationImage.id.desc()).limit(1)).scalar_one_or_none()


def open_case(session: Session, customer_id: int) -> VerificationCase | None:
    return session.execute(
        select(VerificationCase).where(VerificationCase.customer_id == customer_id,
                                       VerificationCase.state.in_(OPEN_STATES))
        .order_by(VerificationCase.id.desc()).limit(1)).scalar_one_or_none()


def case_for_update(session: Session, case_id: int) -> VerificationCase | None:
    # populate_existing: a case the session read in an earlier transaction (the capture page
    # reads it before the match) is refreshed from the locked row, not taken as it was.
    return session.execute(select(VerificationCase).where(VerificationCase.id == case_id)
                           .with_for_update()
                           .execution_options(populate_existing=True)).scalar_one_or_none()


def restricted_flag(customer_id: CustomerId | int) -> ColumnElement[bool]:
    """True where the customer has an open case that restricts the account (KYC-4)."""
    return exists().where(
        VerificationCase.customer_id == customer_id,
        VerificationCase.restricted.is_(True),
        VerificationCase.state.in_(OPEN_STATES))


def restricted(session: Session, customer_id: int) -> bool:
    return session.execute(select(restricted_flag(customer_id))).scalar_one()


def customers_with_document_face_and_no_open_case(session: Session) -> Sequence[int]:
    open_ = exists().where(VerificationCase.customer_id == VerificationImage.customer_id,
                           VerificationCase.state.in_(OPEN_STATES))
    return session.execute(
        select(VerificationImage.customer_id).where(
            VerificationImage.kind == ImageKind.DOCUMENT_FACE,
            VerificationImage.current.is_(True), VerificationImage.deleted_at.is_(None),
            ~open_).distinct().order_by(VerificationImage.customer_id)).scalars().all()


def last_passed_at(session: Session, customer_id: int) -> datetime | None:
    return session.execute(
        select(func.max(VerificationCase.decided_at)).where(
            VerificationCase.customer_id == customer_id,
            VerificationCase.state == CaseState.PASSED)).scalar_one()


def due_past_deadline(session: Session, at: datetime) -> Sequence[VerificationCase]:
    return session.execute(
        select(VerificationCase).where(VerificationCase.state == CaseState.DUE,
                                       VerificationCase.deadline_at <= at)
        .order_by(VerificationCase.id).with_for_update(skip_locked=True)).scalars().all()


def expired_images(session: Session, at: datetime, limit: int) -> Sequence[VerificationImage]:
    return session.execute(
        select(VerificationImage).where(VerificationImage.deleted_at.is_(None),
                                        VerificationImage.expires_at.is_not(None),
                                        VerificationImage.expires_at <= at)
        .order_by(VerificationImage.id).limit(limit)
        .with_for_update(skip_locked=True)).scalars().all()


def case_images(session: Session, case_id: int, kind: ImageKind | None = None
                ) -> Sequence[VerificationImage]:
    stmt = select(VerificationImage).where(VerificationImage.case_id == case_id)
    if kind is not None:
        stmt = stmt.where(VerificationImage.kind == kind)
    return session.execute(stmt.order_by(VerificationImage.id)).scalars().all()


def cases_in(session: Session, states: Sequence[CaseState], limit: int = 100
             ) -> Sequence[VerificationCase]:
    return session.execute(
        select(VerificationCase).where(VerificationCase.state.in_(states))
        .order_by(VerificationCase.id).limit(limit)).scalars().all()
