"""Proposing a policy change from the console (POL-1): a four-eyes ``policy.change`` request
whose approval (:func:`kinko.backoffice.policy_changes.apply`) stores it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from kinko.backoffice import approvals
from kinko.backoffice.models import ApprovalRequest
from kinko.backoffice.policy_changes import ACTION, proposal


def propose(session: Session, *, effective_from: datetime, overrides_toml: str, note: str,
            notice_ja: str, notice_en: str, reason: str, requested_by: int) -> ApprovalRequest:
    """Check the change and ask for it; nothing applies until a second operator approves."""
    payload = proposal(effective_from=effective_from, overrides_toml=overrides_toml,
                       note=note, notice_ja=notice_ja, notice_en=notice_en)
    return approvals.request(session, action=ACTION, subject_type="policy",
                             subject_id=effective_from.isoformat(), payload=payload,
                             reason=reason, requested_by=requested_by)
