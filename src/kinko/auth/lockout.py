"""Lockout then block (AUTH-6), with the counters in the database.

N consecutive wrong entries of any credential lock the user for the policy's time (or until
released); M consecutive lockouts block the service (利用閉塞) until an operator releases it
with a second operator's approval. A correct entry resets both counters; a release resets
only the failure counter, so lockouts that each need a release still add up to a block.
Each count is one conditional UPDATE (:func:`kinko.auth.repository.count_failure`), so
parallel wrong guesses cannot slip past N. A lockout or block ends the user's sessions, is
audited and e-mailed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from kinko import clock
from kinko.auth import repository as repo
from kinko.auth.effects import audit, notify, user_actor
from kinko.auth.errors import (
    AuthError,
    Blocked,
    LockedOut,
    LockedUntilReleased,
    Suspended,
    UserNotFound,
)
from kinko.auth.models import AuthUser, ThrottleKind, UserState
from kinko.auth.outcomes import BlockedOut, Failed, Rejected, SuspendedOut, locked
from kinko.auth.policy import AuthRules
from kinko.auth.rules import Counters, LockoutLimits, after_failure, effectively_active
from kinko.auth.throttle import key_of
from kinko.errors import Conflict


def limits(rules: AuthRules) -> LockoutLimits:
    return LockoutLimits(max_failures=rules.max_failed_attempts,
                         lockout_duration=rules.lockout_duration,
                         lockouts_before_block=rules.lockouts_before_block)


def counters(user: AuthUser) -> Counters:
    return Counters(user.state, user.failure_count, user.lockout_count, user.locked_until)


def refusal(user: AuthUser, now: datetime | None = None) -> Rejected | None:
    """Why ``user`` may not authenticate now, or None if they may."""
    moment = clock.now() if now is None else now
    if user.state is UserState.SUSPENDED:
        return SuspendedOut()
    if user.state is UserState.BLOCKED:
        return BlockedOut()
    if not effectively_active(counters(user), moment):
        return locked(user.locked_until)
    return None


def state_error(user: AuthUser, now: datetime | None = None) -> AuthError | None:
    """The same as :func:`refusal`, as an error to raise where nothing must be committed."""
    refused = refusal(user, now)
    return None if refused is None else refused.error


def register_failure(session: Session, user: AuthUser, rules: AuthRules, *, factor: str,
                     context: str = "login") -> Rejected:
    """Count one wrong entry and say what the customer is told."""
    now = clock.now()
    user_id = user.id
    after = repo.count_failure(session, user_id, limits(rules), now)
    if after is None:
        # Already locked, blocked or suspended by the time this attempt counted.
        session.refresh(user)
        return refusal(user, now) or Failed()
    audit(session, actor=user_actor(user_id), action="auth.failure", user=user_id,
          factor=factor, context=context, failures=after.failures)
    if after.state is UserState.ACTIVE:
        return Failed()
    reason = "blocked" if after.state is UserState.BLOCKED else "locked"
    ended = repo.end_sessions(session, user_id, now, reason)
    audit(session, actor="system", action=f"auth.{reason}", user=user_id,
          lockouts=after.lockouts,
          until=None if after.locked_until is None else after.locked_until.isoformat(),
          sessions_ended=ended)
    notify(session, user, f"auth.{reason}", at=now.isoformat(),
           until=None if after.locked_until is None else after.locked_until.isoformat())
    if after.state is UserState.BLOCKED:
        return Failed(error=Blocked(), locked_now=True)
    error = LockedOut() if after.locked_until is not None else LockedUntilReleased()
    return Failed(error=error, locked_now=True)


# --- IDs that are not registered (AUTH-6, AUTH-10) -------------------------------------------
#
# An unknown ID keeps the same counters as a user, on its own throttle row, and answers the
# same sequence: wrong entries, then the lockout of the product's policy (timed, or until
# released), then the block. So the answers, like the timing, do not tell whether an ID
# exists. The statements mirror the known path: one read (where a user's contract is
# read), one counting upsert (for the user's counting UPDATE) and one audit event.


def unknown_key(scope: str, typed_id: str) -> str:
    """The throttle-row key of an unregistered ``typed_id`` of ``scope`` (a product code or
    ``first-use``): a keyed digest, so the table holds no typed ID in clear."""
    return key_of(ThrottleKind.UNKNOWN_ID, scope, typed_id)


def unknown_refusal(session: Session, key: str, now: datetime | None = None
                    ) -> Rejected | None:
    """:func:`refusal` for an unknown ID: locked or blocked like a user would be."""
    moment = clock.now() if now is None else now
    rows = repo.throttle_rows(session, [key])
    if not rows:
        return None
    row = rows[0]
    c = Counters(row.state, 0, 0, row.locked_until)
    if effectively_active(c, moment):
        return None
    return BlockedOut() if row.state is UserState.BLOCKED else locked(row.locked_until)


def register_unknown_failure(session: Session, key: str, rules: AuthRules, *, factor: str,
                             context: str = "login") -> Rejected:
    """:func:`register_failure` for an unknown ID: the same counting, the same answers."""
    now = clock.now()
    bounds = limits(rules)
    first = after_failure(Counters(UserState.ACTIVE, 0, 0, None), bounds, now)
    assert first is not None
    after = repo.count_unknown_failure(session, key, bounds, now, first)
    if after is None:
        return unknown_refusal(session, key, now) or Failed()
    audit(session, actor="anonymous", action="auth.failure", subject_type="unknown_login_id",
          subject_id=key[:16], factor=factor, context=context, failures=after.failures)
    if after.state is UserState.ACTIVE:
        return Failed()
    if after.state is UserState.BLOCKED:
        return Failed(error=Blocked(), locked_now=True)
    error = LockedOut() if after.locked_until is not None else LockedUntilReleased()
    return Failed(error=error, locked_now=True)


def clean(user: AuthUser) -> bool:
    """Active with no failure or lockout counted: a correct entry has nothing to reset."""
    return (user.state is UserState.ACTIVE and user.failure_count == 0
            and user.lockout_count == 0 and user.locked_until is None)


def register_success(session: Session, user: AuthUser) -> Rejected | None:
    """Reset the counters; a refusal if the user was locked meanwhile."""
    now = clock.now()
    if repo.reset_failures(session, user.id, now):
        return None
    session.refresh(user)
    return refusal(user, now) or SuspendedOut(error=Suspended())


def release(session: Session, user_id: int, *, actor: str, note: str = "") -> None:
    """Lift a lockout or a block (an operator action, approved by a second operator)."""
    user = repo.user(session, user_id)
    if user is None:
        raise UserNotFound(detail=str(user_id))
    previous = user.state
    if not repo.set_user_state(session, user_id, UserState.ACTIVE, reason=None,
                               from_states=(UserState.LOCKED, UserState.BLOCKED)):
        raise Conflict(detail=f"user {user_id} is {previous.value}, not locked or blocked")
    audit(session, actor=actor, action="auth.released", user=user_id,
          previous_state=previous.value, note=note)
    notify(session, user, "auth.released", at=clock.now().isoformat())
