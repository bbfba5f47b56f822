"""Policy versions decided in the operator console (POL-1).

A change asked for by a policy administrator and approved by a second operator (four eyes,
:mod:`kinko.backoffice.policy_changes`) is stored here, dated ahead: the policy file keeps
its versions, and every process lays these rows over them in date order
(:mod:`kinko.policy.changes`). Rows are never edited; a correction is a later change.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kinko.db.base import Base, BigId, UtcDateTime


class PolicyChange(Base):
    __tablename__ = "policy_changes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    effective_from: Mapped[datetime] = mapped_column(UtcDateTime, unique=True)
    # The version table as a policy file would write it (only what changes), canonical JSON.
    overrides: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(String(500), default="")
    # The announcement customers see after login from approval until a while after the date.
    notice_ja: Mapped[str] = mapped_column(Text, default="")
    notice_en: Mapped[str] = mapped_column(Text, default="")
    approval_request_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    requested_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    approved_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    approved_at: Mapped[datetime] = mapped_column(UtcDateTime)
