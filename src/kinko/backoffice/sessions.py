"""Console sessions kept on the server (OPS-1).

The browser holds a random 256-bit token; the database keeps only its keyed digest, so a copy
of the table signs nobody in. A session ends at logout, when the operator is deactivated or
their credentials are reissued, and when the operator policy's idle or absolute limit passes
(``policy.operators.session_idle_minutes`` / ``session_absolute_hours``).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.service import record
from kinko.auth.crypto import keyed_digest, keyed_digests, new_token
from kinko.backoffice.models import Operator, OperatorSession
from kinko.policy import current_policy

DIGEST_PURPOSE = "operator-session"
# Writing last_seen on every page would make each GET a write; a minute is finer than any idle
# limit the policy allows.
TOUCH_EVERY = timedelta(minutes=1)


def start(session: Session, operator_id: int) -> str:
    """A new session for the operator; the token is returned once, for the cookie."""
    token = new_token(32)
    now = clock.now()
    session.add(OperatorSession(token_digest=keyed_digest(DIGEST_PURPOSE, token),
                                operator_id=operator_id, started_at=now, last_seen_at=now))
    session.flush()
    return token


def _find(session: Session, token: str) -> OperatorSession | None:
    if not token or len(token) > 100:
        return None
    return session.execute(select(OperatorSession).where(
        OperatorSession.token_digest.in_(keyed_digests(DIGEST_PURPOSE, token)),
        OperatorSession.ended_at.is_(None))).scalar_one_or_none()


def resolve(session: Session, token: str) -> Operator | None:
    """The operator of a live session, touching it; an expired session is ended here."""
    row = _find(session, token)
    if row is None:
        return None
    rules = current_policy().operators
    now = clock.now()
    reason = None
    if now - row.last_seen_at > timedelta(minutes=rules.session_idle_minutes):
        reason = "idle"
    elif now - row.started_at > timedelta(hours=rules.session_absolute_hours):
        reason = "absolute"
    operator = session.get(Operator, row.operator_id)
    if operator is None or not operator.active:
        reason = reason or "deactivated"
    if reason is not None:
        _end(session, row, reason)
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return operator


def _end(session: Session, row: OperatorSession, reason: str) -> None:
    row.ended_at = clock.now()
    row.end_reason = reason
    session.flush()
    record(session, actor=f"operator:{row.operator_id}", action="backoffice.session_ended",
           subject_type="operator", subject_id=row.operator_id, data={"reason": reason})


def end(session: Session, token: str, reason: str = "logout") -> None:
    row = _find(session, token)
    if row is not None:
        _end(session, row, reason)


def end_all(session: Session, operator_id: int, *, reason: str) -> int:
    """End every live session of the operator (deactivation, new credentials)."""
    ended = session.execute(
        update(OperatorSession).where(OperatorSession.operator_id == operator_id,
                                      OperatorSession.ended_at.is_(None))
        .values(ended_at=clock.now(), end_reason=reason).returning(OperatorSession.id)).all()
    if ended:
        record(session, actor="system", action="backoffice.sessions_ended",
               subject_type="operator", subject_id=operator_id,
               data={"reason": reason, "count": len(ended)})
    return len(ended)
