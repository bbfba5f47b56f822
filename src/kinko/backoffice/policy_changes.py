"""Changing the bank's policy from the console (POL-1, OPS-1).

A policy administrator proposes a change: what changes (as a ``[[version]]`` table of the
policy file would say it, in TOML), the moment it takes effect (in the future), and the notice
customers will see. A second operator (policy administrator or supervisor) approves it; the
approved change is stored and applies from its date, announced to customers after login from
the approval on. Instructions entered before the date keep the policy of their time, because
every rule asks the policy in force at the instruction's own moment.
"""

from __future__ import annotations

import json
import tomllib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.service import canonical, record
from kinko.backoffice.models import ApprovalRequest
from kinko.errors import ValidationFailed
from kinko.policy import PolicyFileError
from kinko.policy.changes import refresh
from kinko.policy.diff import diff
from kinko.policy.models import PolicyChange
from kinko.policy.store import Change, book_with

ACTION = "policy.change"   # who may propose and approve: kinko.backoffice.actions
# (Asking is kinko.backoffice.policy_proposals.propose: this module runs under the approval.)


def parse_overrides(text: str) -> dict[str, Any]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationFailed(detail=f"not valid TOML: {exc}", fields=["overrides"]) from None
    if not data:
        raise ValidationFailed(detail="nothing to change", fields=["overrides"])
    if {"effective_from", "note", "version"} & set(data):
        raise ValidationFailed(detail="write only the policy tables that change",
                               fields=["overrides"])
    # TOML dates and times become ISO text, as the policy file's own values would.
    plain: dict[str, Any] = json.loads(json.dumps(data, default=lambda v: v.isoformat()))
    return plain


def check(effective_from: datetime, overrides: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """Refuse a change in the past or one the policy model refuses; return what it changes."""
    if effective_from <= clock.now():
        raise ValidationFailed(detail="a policy change takes effect in the future",
                               fields=["effective_from"])
    change = Change.of(effective_from, overrides)
    try:
        book = book_with([change])
    except PolicyFileError as exc:
        raise ValidationFailed(detail=exc.describe(), fields=["overrides"]) from None
    before = book.policy_at(effective_from - timedelta(microseconds=1))
    changed = diff(before, book.policy_at(effective_from))
    if not changed:
        raise ValidationFailed(detail="the change changes nothing", fields=["overrides"])
    return changed


def proposal(*, effective_from: datetime, overrides_toml: str, note: str, notice_ja: str,
             notice_en: str) -> dict[str, Any]:
    """The checked payload of a ``policy.change`` request (what changes is listed in it)."""
    overrides = parse_overrides(overrides_toml)
    changed = check(effective_from, overrides)
    if not notice_ja.strip():
        raise ValidationFailed(detail="customers are told of a change: write the notice",
                               fields=["notice_ja"])
    return {"effective_from": effective_from.isoformat(), "overrides": overrides,
            "note": note[:500], "notice_ja": notice_ja[:2000], "notice_en": notice_en[:2000],
            "changes": [[path, old, new] for path, old, new in changed]}


def apply(session: Session, payload: dict[str, Any], *, actor: str, request_id: int) -> str:
    """The approved change, stored and in force from its date (run by the approval)."""
    effective_from = clock.parse_moment(str(payload["effective_from"]))
    overrides = dict(payload["overrides"])
    check(effective_from, overrides)   # the date may have passed while it waited
    requested_by = session.get(ApprovalRequest, request_id)
    row = PolicyChange(effective_from=effective_from, overrides=canonical(overrides),
                       note=str(payload.get("note", "")),
                       notice_ja=str(payload.get("notice_ja", "")),
                       notice_en=str(payload.get("notice_en", "")),
                       approval_request_id=request_id,
                       requested_by=None if requested_by is None else requested_by.requested_by,
                       approved_by=int(actor.split(":")[1]) if actor.startswith("operator:")
                       else None,
                       approved_at=clock.now())
    session.add(row)
    session.flush()
    record(session, actor=actor, action="policy.changed", subject_type="policy",
           subject_id=row.id, data={"effective_from": effective_from.isoformat(),
                                    "overrides": overrides, "request_id": request_id})
    refresh(session)
    return f"policy change {row.id} in force from {effective_from.isoformat()}"

