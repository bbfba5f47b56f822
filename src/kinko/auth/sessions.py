"""Login sessions in the database (DESIGN security defaults).

The browser holds a 256-bit random token; the database holds only its keyed hash, so a copy
of the table opens no session. A session has an idle timeout and an absolute one (policy), is
rotated (new token, old one dead) at login and at every step-up so that a token seen before a
privilege change is useless after it, and can be listed and ended — one, or all others.

A session with a limited scope (second factor pending, credentials to change) lives only for
a few minutes and opens nothing but its own next step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction

from kinko import clock
from kinko.auth import repository as repo
from kinko.auth.crypto import keyed_digest, keyed_digests, new_token
from kinko.auth.effects import audit, user_actor
from kinko.auth.errors import ScopeNotAllowed, SessionExpired
from kinko.auth.models import AuthContract, AuthSession, AuthUser, SessionScope
from kinko.auth.policy import AuthRules
from kinko.parties.models import Customer

_PURPOSE = "session"


def token_hash(token: str) -> str:
    return keyed_digest(_PURPOSE, token)


def token_hashes(token: str) -> tuple[str, ...]:
    """The hash under the current secret key, then under the previous ones (key rotation)."""
    return keyed_digests(_PURPOSE, token)


@dataclass(frozen=True)
class SessionInfo:
    """What a page may show about a session (never its token)."""

    id: int
    user_id: int
    scope: SessionScope
    channel: str
    login_method: str
    ip: str | None
    place: str | None
    user_agent: str | None
    created_at: datetime
    last_seen_at: datetime
    absolute_expires_at: datetime
    stepped_up_at: datetime | None
    current: bool = False


def _info(s: AuthSession, current_id: int | None = None) -> SessionInfo:
    return SessionInfo(s.id, s.user_id, s.scope, s.channel, s.login_method, s.ip, s.place,
                       s.user_agent, s.created_at, s.last_seen_at, s.absolute_expires_at,
                       s.stepped_up_at, current=s.id == current_id)


def start(session: Session, user: AuthUser, rules: AuthRules, *,
          scope: SessionScope = SessionScope.FULL, channel: str = "pc",
          login_method: str = "password", ip: str | None = None, place: str | None = None,
          user_agent: str | None = None) -> tuple[str, AuthSession]:
    """Open a session; returns the token (give it to the client once) and the row."""
    now = clock.now()
    lifetime = (rules.session_absolute if scope is SessionScope.FULL
                else rules.limited_session_absolute)
    token = new_token()
    row = AuthSession(user_id=user.id, token_hash=token_hash(token), scope=scope,
                      channel=channel, login_method=login_method, ip=ip, place=place,
                      user_agent=(user_agent or "")[:300] or None, created_at=now,
                      last_seen_at=now, absolute_expires_at=now + lifetime,
                      idle_seconds=int(_idle(rules, scope).total_seconds()))
    session.add(row)
    session.flush()
    audit(session, actor=user_actor(user), action="auth.session_started", user=user,
          session_id=row.id, scope=scope.value, channel=channel, ip=ip)
    return token, row


def authenticate(session: Session, token: str, *,
                 scope: SessionScope | Sequence[SessionScope] = SessionScope.FULL
                 ) -> AuthSession:
    """The live session of ``token``, extended by one idle period; raise if it has ended.

    One SELECT, which also loads the session's user and contract (they are what every caller
    reads next); the conditional UPDATE of ``last_seen_at`` runs at most once a minute per
    session and never waits for a lock (see ``TOUCH_EVERY`` and ``repo.touch_session``).
    Within one transaction the token is looked up once: asked again (the step-up checks the
    session the request already authenticated), the loaded row is checked again without a
    statement.

    ``scope`` names the scopes the caller accepts (a full session for any ordinary page; the
    change-credentials scope for the change screen only).
    """
    known = _known(session)
    if token in known:
        row = known[token][0]
    else:
        hashes = token_hashes(token)
        found = repo.session_with_user_by_token_hash(session, hashes)
        if found is None:
            raise SessionExpired()
        row = found[0]
        if row.token_hash != hashes[0]:
            # Made under a previous secret key: move it to the current one, so that the
            # session outlives the previous key's removal.
            row.token_hash = hashes[0]
        known[token] = found
    allowed = (scope,) if isinstance(scope, SessionScope) else tuple(scope)
    if row.scope not in allowed:
        raise ScopeNotAllowed(detail=row.scope.value)
    now = clock.now()
    if not is_live(row, now):
        raise SessionExpired()
    if row.last_seen_at <= now - TOUCH_EVERY:
        repo.touch_session(session, row, now, stale_before=now - TOUCH_EVERY)
    return row


_KNOWN = "kinko.auth.sessions.known"
_Loaded = tuple[AuthSession, AuthUser, AuthContract, Customer]


def _known(session: Session) -> dict[str, _Loaded]:
    """The sessions this transaction has authenticated, by token, with their user, contract
    and customer (forgotten at its end)."""
    found: dict[str, _Loaded] | None = session.info.get(
        _KNOWN)
    if found is None:
        found = session.info[_KNOWN] = {}
    return found


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    # Outside its transaction a token must be looked up again (it may have been rotated or
    # ended by another transaction meanwhile); a savepoint's end changes nothing here, as
    # the row itself is expired by a rollback and reloaded when next read.
    if transaction.parent is None:
        session.info.pop(_KNOWN, None)


# How stale ``last_seen_at`` may get before a request moves it. Touching it on every request
# would make every request a write, and two requests of one session would queue on its row.
# The idle timeout is checked against the stored ``last_seen_at`` exactly, so a session never
# lives longer than its idle timeout after a request; it can end up to TOUCH_EVERY sooner than
# "last request + idle timeout" (a request that found last_seen_at younger than this did not
# move it). The absolute timeout is not affected.
TOUCH_EVERY = timedelta(seconds=60)


def is_live(row: AuthSession, now: datetime) -> bool:
    """Not ended, within its absolute lifetime, and seen within its idle timeout."""
    return (row.ended_at is None and row.absolute_expires_at > now
            and row.last_seen_at > now - timedelta(seconds=row.idle_seconds))


def _idle(rules: AuthRules, scope: SessionScope) -> timedelta:
    return (rules.session_idle if scope is SessionScope.FULL
            else min(rules.session_idle, rules.limited_session_absolute))


def rotate(session: Session, row: AuthSession, *, scope: SessionScope | None = None,
           rules: AuthRules | None = None, **values: object) -> str:
    """Give the session a new token (the old one stops working at once); optionally widen its
    scope, which also restarts its absolute lifetime as a full session. ``values``: other
    columns to set in the same UPDATE (the step-up's time and digest)."""
    now = clock.now()
    token = new_token()
    known = _known(session)
    for old in [t for t, found in known.items() if found[0] is row]:
        known[token] = known.pop(old)
    written: dict[str, object] = {"token_hash": token_hash(token), "rotated_at": now,
                                  "last_seen_at": now, **values}
    if scope is not None and scope is not row.scope:
        written["scope"] = scope
        if rules is not None and scope is SessionScope.FULL:
            written["absolute_expires_at"] = now + rules.session_absolute
            written["idle_seconds"] = int(rules.session_idle.total_seconds())
    repo.update_session(session, row, written)
    return token


def rotate_spending_otp(session: Session, row: AuthSession, *, token_id: int, step: int,
                        **values: object) -> str | None:
    """:func:`rotate` for a step-up answered with a one-time password, spending its time
    step in the same statement (:func:`repo.rotate_spending_otp_step`): the new
    token, or None when the step was spent by another request first (nothing was written)."""
    return _rotate_spending(session, row, values, lambda written: (
        repo.rotate_spending_otp_step(session, row.id, written, token_id, step)))


def rotate_spending_card(session: Session, row: AuthSession, *, challenge_id: str,
                         answers_hash: str, operation_digest: str, **values: object
                         ) -> str | None:
    """:func:`rotate` for a step-up answered with the card, spending the challenge in the
    same statement when the answers are right (:func:`repo.rotate_spending_card_challenge`):
    the new token, or None — nothing written — when they are not, the challenge is not live,
    or the database has no such statement (the caller then checks the usual way)."""
    return _rotate_spending(session, row, values, lambda written: (
        repo.rotate_spending_card_challenge(
            session, row.id, written, public_id=challenge_id, user_id=row.user_id,
            operation_digest=operation_digest, answers_hash=answers_hash,
            now=written["rotated_at"])))


def _rotate_spending(session: Session, row: AuthSession, values: dict[str, object],
                     write: Callable[[dict[str, Any]], bool]) -> str | None:
    """The rotation's new token and columns, written by ``write`` (one statement that also
    spends the step-up's answer); None if ``write`` wrote nothing."""
    now = clock.now()
    token = new_token()
    written = {"token_hash": token_hash(token), "rotated_at": now, "last_seen_at": now,
               **values}
    if not write(written):
        return None
    known = _known(session)
    for old in [t for t, found in known.items() if found[0] is row]:
        known[token] = known.pop(old)
    return token


def end(session: Session, token: str, *, reason: str = "logout") -> None:
    """Log out; ending an unknown or ended session is not an error."""
    row = repo.session_by_token_hash(session, token_hashes(token))
    if row is None or row.ended_at is not None:
        return
    row.ended_at = clock.now()
    row.end_reason = reason
    audit(session, actor=user_actor(row.user_id), action="auth.session_ended",
          user=row.user_id, session_id=row.id, reason=reason)


def list_open(session: Session, token: str) -> list[SessionInfo]:
    """The user's open sessions (for a "where am I logged in" page), current one marked."""
    current = authenticate(session, token)
    now = clock.now()
    return [_info(s, current.id) for s in repo.open_sessions(session, current.user_id)
            if s.absolute_expires_at > now
            and s.last_seen_at > now - timedelta(seconds=s.idle_seconds)]


def end_others(session: Session, token: str) -> int:
    """End every other session of the user; returns how many were ended."""
    current = authenticate(session, token)
    ended = repo.end_sessions(session, current.user_id, clock.now(), "ended_by_user",
                              except_id=current.id)
    audit(session, actor=user_actor(current.user_id), action="auth.sessions_ended",
          user=current.user_id, count=ended)
    return ended


def end_all(session: Session, user_id: int, *, reason: str, actor: str) -> int:
    ended = repo.end_sessions(session, user_id, clock.now(), reason)
    if ended:
        audit(session, actor=actor, action="auth.sessions_ended", user=user_id, count=ended,
              reason=reason)
    return ended


@dataclass(frozen=True)
class PreviousLogin:
    at: datetime
    place: str | None


def previous_login(s: Session, current: AuthSession) -> PreviousLogin | None:
    """The login before the one that opened ``current``: the user's previous full session.

    ``auth_users.last_login_at`` already holds *this* login by the time a page is shown, and
    each login opens exactly one full session (step-up rotates the token, not the row), so
    the full session just before this one is the previous login. One indexed query.
    """
    row = s.execute(
        select(AuthSession.created_at, AuthSession.place, AuthSession.ip)
        .where(AuthSession.user_id == current.user_id, AuthSession.id < current.id,
               AuthSession.scope == SessionScope.FULL)
        .order_by(AuthSession.id.desc()).limit(1)
    ).first()
    if row is None:
        return None
    return PreviousLogin(row.created_at, row.place or row.ip)
