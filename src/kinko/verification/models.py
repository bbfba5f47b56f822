"""Tables of periodic verification by face (KYC-1..6).

Images are stored only as AES-GCM ciphertext (:mod:`kinko.verification.vault`); a row whose
image has been deleted keeps its metadata (when, what, why deleted) for the audit trail.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from kinko.db.base import Base, BigId, UtcDateTime, value_enum


class ImageKind(enum.StrEnum):
    DOCUMENT_FACE = "document_face"    # the identity document's face (opening or resubmission)
    SELFIE = "selfie"                  # the face taken for a verification
    FRAME = "frame"                    # a frame of the head-turn check
    RESUBMITTED_DOCUMENT = "resubmitted_document"  # a document uploaded after a failure


class CaseState(enum.StrEnum):
    DUE = "due"                  # the customer is asked to verify (notice after login)
    REVIEW = "review"            # the match fell in the review band: an operator decides
    PASSED = "passed"            # same person (by the matcher or an operator's override)
    FAILED = "failed"            # different person: documents asked for again
    OVERDUE = "overdue"          # not verified by the deadline: documents asked for again
    RESUBMITTED = "resubmitted"  # documents uploaded again after FAILED/OVERDUE; bank checks


OPEN_STATES = (CaseState.DUE, CaseState.REVIEW, CaseState.FAILED, CaseState.OVERDUE,
               CaseState.RESUBMITTED)


class VerificationImage(Base):
    __tablename__ = "verification_images"
    __table_args__ = (Index("ix_verification_images_expiry", "deleted_at", "expires_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("verification_cases.id"))
    kind: Mapped[ImageKind] = mapped_column(value_enum(ImageKind, 24))
    # nonce (12 bytes) + AES-256-GCM ciphertext and tag; NULL once deleted
    ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    content_type: Mapped[str] = mapped_column(String(40), default="image/jpeg")
    # the document face in force for the customer (the newest registered one)
    current: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # NULL: kept while in force (a current document face); else deleted by the batch then
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class VerificationCase(Base):
    """One request to verify: from being marked due to its outcome."""

    __tablename__ = "verification_cases"
    __table_args__ = (Index("ix_verification_cases_customer_state", "customer_id", "state"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    state: Mapped[CaseState] = mapped_column(value_enum(CaseState, 16))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deadline_at: Mapped[datetime] = mapped_column(UtcDateTime)
    matcher: Mapped[str | None] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(24))
    distance_milli: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # KYC-4: the account's use is restricted until the bank lifts it
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
