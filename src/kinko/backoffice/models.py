"""Operator and four-eyes approval tables (OPS-1).

The back office sits above the domain packages it acts on; importing the auth models here
registers them with the same metadata (``kinko.tables`` imports this module).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from kinko.auth import models as _auth_models  # noqa: F401 - registers the auth tables
from kinko.db.base import Base, BigId, UtcDateTime, value_enum


def _enum(cls: type[enum.Enum], length: int = 20) -> Enum:
    return value_enum(cls, length)


class OperatorRole(enum.StrEnum):
    TELLER = "teller"                 # branch staff: takes reports, requests actions
    SECURITY = "security"             # releases blocks, resets credentials, resumes service
    CLAIMS = "claims"                 # compensation decisions
    KYC_REVIEWER = "kyc_reviewer"     # overrides face-match results
    POLICY_ADMIN = "policy_admin"     # changes bank policy
    AUDITOR = "auditor"               # reads only
    SUPERVISOR = "supervisor"         # manages operators and roles; approves policy changes


class ApprovalState(enum.StrEnum):
    PENDING = "pending"
    EXECUTED = "executed"    # approved by a second operator and carried out
    REJECTED = "rejected"
    CANCELLED = "cancelled"  # withdrawn by the requester
    EXPIRED = "expired"


class Operator(Base):
    __tablename__ = "backoffice_operators"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)   # 行員番号
    name: Mapped[str] = mapped_column(String(120))
    branch_code: Mapped[str | None] = mapped_column(ForeignKey("branches.code"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Sign-in: an argon2id password hash and a TOTP seed encrypted at rest (AES-GCM under a
    # key derived from the secret key). None: not set up, the operator cannot sign in.
    password_hash: Mapped[str | None] = mapped_column(String(200), default=None)
    password_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    # An initial or reset password must be replaced at the next sign-in.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    totp_seed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # The last TOTP step accepted: a code is good once (no replay within its window).
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, default=None)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    # Locked until a four-eyes release (the operator policy's lockout "until released").
    locked: Mapped[bool] = mapped_column(Boolean, default=False)


class OperatorSession(Base):
    """A console session kept on the server: the browser holds only a random token whose
    keyed digest is the row's key; ended at logout, deactivation, a password change, or when
    idle or absolute limits pass."""

    __tablename__ = "backoffice_operator_sessions"
    __table_args__ = (Index("ix_backoffice_operator_sessions_operator", "operator_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("backoffice_operators.id"))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    end_reason: Mapped[str | None] = mapped_column(String(20), default=None)


class OperatorRoleGrant(Base):
    __tablename__ = "backoffice_operator_roles"

    operator_id: Mapped[int] = mapped_column(ForeignKey("backoffice_operators.id"),
                                             primary_key=True)
    role: Mapped[OperatorRole] = mapped_column(_enum(OperatorRole), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ApprovalRequest(Base):
    """A sensitive action asked for by one operator, carried out when another approves it."""

    __tablename__ = "backoffice_approval_requests"
    __table_args__ = (
        Index("ix_backoffice_approval_requests_state", "state", "requested_at"),
        Index("ix_backoffice_approval_requests_subject", "subject_type", "subject_id"),
        # The database itself refuses a self-approval, whatever the code does (four eyes).
        CheckConstraint("decided_by IS NULL OR decided_by <> requested_by",
                        name="four_eyes"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    action: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(60))
    payload: Mapped[str] = mapped_column(Text, default="{}")   # canonical JSON
    reason: Mapped[str] = mapped_column(String(500))
    state: Mapped[ApprovalState] = mapped_column(_enum(ApprovalState),
                                                 default=ApprovalState.PENDING)
    requested_by: Mapped[int] = mapped_column(ForeignKey("backoffice_operators.id"))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("backoffice_operators.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decision_note: Mapped[str | None] = mapped_column(String(500))
    result: Mapped[str | None] = mapped_column(Text)
