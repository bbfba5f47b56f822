"""Four-eyes approval of sensitive operator actions (OPS-1).

One operator asks (with a reason); a different operator with the action's approving role
approves, and the action runs in that same transaction; or it is rejected, withdrawn, or it
expires. The requester can never approve their own request: the service refuses it, and the
table's CHECK constraint refuses it again. The decision is a conditional UPDATE on the pending
row, so two approvers racing cannot both carry the action out. Every step is audited.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.service import canonical, record
from kinko.backoffice.actions import ACTIONS, ActionSpec
from kinko.backoffice.errors import ApprovalNotPending, FourEyesViolation, UnknownAction
from kinko.backoffice.models import ApprovalRequest, ApprovalState
from kinko.backoffice.operators import actor_of, require_role
from kinko.db.base import table_of
from kinko.errors import NotFound, ValidationFailed

DEFAULT_TTL = timedelta(days=3)


@dataclass(frozen=True)
class Decision:
    request_id: int
    state: ApprovalState
    # What the action returned, for the approver's screen only (e.g. a temporary password to
    # print for mailing); it is never stored — ``ApprovalRequest.result`` keeps a summary.
    output: Any = None


def _spec(action: str) -> ActionSpec:
    spec = ACTIONS.get(action)
    if spec is None:
        raise UnknownAction(detail=action)
    return spec


def request(session: Session, *, action: str, subject_type: str, subject_id: str | int,
            payload: dict[str, Any], reason: str, requested_by: int,
            ttl: timedelta = DEFAULT_TTL) -> ApprovalRequest:
    """Ask for a sensitive action; nothing happens until a second operator approves."""
    spec = _spec(action)
    require_role(session, requested_by, spec.request_roles)
    if not reason.strip():
        raise ValidationFailed(detail="a reason is required")
    spec.validate(payload)
    _not_about_oneself(payload, requested_by, action)
    now = clock.now()
    row = ApprovalRequest(action=action, subject_type=subject_type, subject_id=str(subject_id),
                          payload=canonical(payload), reason=reason[:500],
                          state=ApprovalState.PENDING, requested_by=requested_by,
                          requested_at=now, expires_at=now + ttl)
    session.add(row)
    session.flush()
    record(session, actor=actor_of(requested_by), action="backoffice.approval_requested",
           subject_type=subject_type, subject_id=str(subject_id),
           data={"request_id": row.id, "action": action, "reason": reason[:500]})
    return row


def _not_about_oneself(payload: dict[str, Any], operator_id: int, action: str) -> None:
    """An operator neither asks for nor approves a change to their own account or roles:
    two *other* people decide it."""
    if action.startswith("backoffice.") and payload.get("operator_id") == operator_id:
        raise FourEyesViolation(detail="a change to your own operator account needs two others")


def _get(session: Session, request_id: int) -> ApprovalRequest:
    row = session.get(ApprovalRequest, request_id)
    if row is None:
        raise NotFound(detail=f"approval request {request_id}")
    return row


def _decide(session: Session, row: ApprovalRequest, *, operator_id: int,
            state: ApprovalState, note: str | None) -> None:
    """Move the request out of PENDING exactly once (a racing decision finds nothing)."""
    t = table_of(ApprovalRequest)
    now = clock.now()
    done = session.execute(
        update(t).where(t.c.id == row.id, t.c.state == ApprovalState.PENDING.value,
                        t.c.expires_at > now)
        .values(state=state.value, decided_by=operator_id, decided_at=now,
                decision_note=None if note is None else note[:500])
        .returning(t.c.id)).one_or_none()
    session.expire(row)
    if done is None:
        raise ApprovalNotPending(detail=str(row.id))


def approve(session: Session, *, request_id: int, approver_id: int, note: str | None = None
            ) -> Decision:
    """Approve and carry out the action, as the approver, in this transaction."""
    row = _get(session, request_id)
    spec = _spec(row.action)
    if row.requested_by == approver_id:
        raise FourEyesViolation(detail=str(request_id))
    require_role(session, approver_id, spec.approve_roles)
    payload = json.loads(row.payload)
    _not_about_oneself(payload, approver_id, row.action)
    _decide(session, row, operator_id=approver_id, state=ApprovalState.EXECUTED, note=note)
    output = spec.handler(session, payload, actor=actor_of(approver_id), request_id=row.id)
    row.result = canonical({"summary": spec.summary(output)})
    record(session, actor=actor_of(approver_id), action="backoffice.approval_executed",
           subject_type=row.subject_type, subject_id=row.subject_id,
           data={"request_id": row.id, "action": row.action,
                 "requested_by": row.requested_by})
    return Decision(row.id, ApprovalState.EXECUTED, output)


def reject(session: Session, *, request_id: int, approver_id: int, note: str) -> Decision:
    row = _get(session, request_id)
    spec = _spec(row.action)
    if row.requested_by == approver_id:
        raise FourEyesViolation(detail="withdraw your own request instead")
    require_role(session, approver_id, spec.approve_roles)
    _decide(session, row, operator_id=approver_id, state=ApprovalState.REJECTED, note=note)
    record(session, actor=actor_of(approver_id), action="backoffice.approval_rejected",
           subject_type=row.subject_type, subject_id=row.subject_id,
           data={"request_id": row.id, "action": row.action, "note": note[:500]})
    return Decision(row.id, ApprovalState.REJECTED)


def withdraw(session: Session, *, request_id: int, operator_id: int) -> Decision:
    row = _get(session, request_id)
    if row.requested_by != operator_id:
        raise FourEyesViolation(detail="only the requester can withdraw a request")
    t = table_of(ApprovalRequest)
    done = session.execute(
        update(t).where(t.c.id == row.id, t.c.state == ApprovalState.PENDING.value)
        .values(state=ApprovalState.CANCELLED.value, decided_at=clock.now())
        .returning(t.c.id)).one_or_none()
    session.expire(row)
    if done is None:
        raise ApprovalNotPending(detail=str(request_id))
    record(session, actor=actor_of(operator_id), action="backoffice.approval_withdrawn",
           subject_type=row.subject_type, subject_id=row.subject_id,
           data={"request_id": row.id})
    return Decision(row.id, ApprovalState.CANCELLED)


def pending(session: Session, *, action: str | None = None) -> Sequence[ApprovalRequest]:
    """The approval work queue (OPS-2), oldest first; expired requests are left out."""
    query = select(ApprovalRequest).where(ApprovalRequest.state == ApprovalState.PENDING,
                                          ApprovalRequest.expires_at > clock.now())
    if action is not None:
        query = query.where(ApprovalRequest.action == action)
    return session.execute(query.order_by(ApprovalRequest.requested_at)).scalars().all()


def expire_overdue(session: Session) -> int:
    """Mark pending requests past their expiry (run by the batch)."""
    t = table_of(ApprovalRequest)
    rows = session.execute(
        update(t).where(t.c.state == ApprovalState.PENDING.value, t.c.expires_at <= clock.now())
        .values(state=ApprovalState.EXPIRED.value).returning(t.c.id)).all()
    return len(rows)
