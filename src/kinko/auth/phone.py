"""Phone-call authentication (電話による認証, AUTH-4, 001 2(5)).

For a transfer or a Pay-easy payment the bank may ask the customer to call a bank-designated
number from their registered phone. Kinko opens a pending challenge bound to the operation;
the telephony provider reports each incoming call with a signed webhook; a call from the
registered number to the designated number inside the challenge's window completes it; the
confirmation then consumes it once.

Webhook protocol (what the provider, or Kinko's fake provider in tests, sends):

- body: JSON ``{"event_id", "caller", "callee", "called_at"}`` (ISO 8601 with offset);
- header ``X-Kinko-Timestamp``: Unix seconds when it was sent;
- header ``X-Kinko-Signature``: ``v1=`` + hex HMAC-SHA256 over ``timestamp + "." + body``
  under the shared secret (:func:`webhook_secret`).

A bad signature, a timestamp outside the tolerance, or an event id seen before is refused,
so a captured report cannot be replayed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kinko import clock
from kinko.auth import challenges
from kinko.auth import repository as repo
from kinko.auth.crypto import constant_time_equals, derived_key, keyed_digest, keyed_digests
from kinko.auth.effects import audit
from kinko.auth.errors import AuthError, FactorNotAvailable, WebhookRejected
from kinko.auth.models import AuthUser, Challenge, ChallengeKind, PhoneCallEvent
from kinko.auth.policy import AuthRules
from kinko.db.base import insert_ignoring_conflicts, table_of
from kinko.keys import derived_keys
from kinko.parties.models import Customer


class PhoneCallPending(AuthError):
    code = "AUTH_PHONE_CALL_PENDING"
    status = 409
    message_ja = "ご登録の電話番号から指定の番号へお電話ください。着信を確認後にお手続きできます。"


@dataclass(frozen=True)
class PhoneCallChallenge:
    challenge_id: str
    number_to_call: str
    expires_at: datetime


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def national(number: str) -> str:
    """Japanese national digits: ``+81 90-1234-5678`` (E.164, as providers report caller
    IDs) and ``090-1234-5678`` (as customers register) are the same number."""
    digits = _digits(number)
    if number.strip().startswith("+") and digits.startswith("81"):
        return "0" + digits[2:]
    return digits


def _caller_key(number: str) -> str:
    return keyed_digest("phone-caller", national(number))


def webhook_secret() -> bytes:
    """The shared secret configured at the telephony provider (derived from the secret key)."""
    return derived_key("phone-webhook")


def sign(body: bytes, timestamp: int, secret: bytes | None = None) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    key = webhook_secret() if secret is None else secret
    mac = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={mac}"


def start(session: Session, user: AuthUser, rules: AuthRules, *, session_id: int | None,
          operation_digest: str) -> PhoneCallChallenge:
    customer = session.get(Customer, user.customer_id)
    if customer is None or not customer.phone or len(_digits(customer.phone)) < 10:
        raise FactorNotAvailable(detail="no registered phone number")
    pending = repo.pending_challenge(session, ChallengeKind.PHONE_CALL, user_id=user.id,
                                     session_id=session_id, operation_digest=operation_digest,
                                     now=clock.now())
    if pending is not None:  # a reload asks for the same call, not a second one
        return PhoneCallChallenge(pending.public_id, rules.phone_call_number, pending.expires_at)
    row = challenges.create(session, ChallengeKind.PHONE_CALL, ttl=rules.phone_call_window,
                            user_id=user.id, session_id=session_id,
                            data={"callee": rules.phone_call_number},
                            operation_digest=operation_digest)
    # The caller's number is matched by keyed hash: the challenge row holds no phone number.
    row.answer_hash = _caller_key(customer.phone)
    session.flush()
    return PhoneCallChallenge(row.public_id, rules.phone_call_number, row.expires_at)


@dataclass(frozen=True)
class WebhookResult:
    event_id: str
    matched: bool
    duplicate: bool = False


def handle_webhook(session: Session, *, body: bytes, timestamp: str, signature: str,
                   tolerance_seconds: int = 300, secret: bytes | None = None) -> WebhookResult:
    """Verify and apply one provider report; raise :class:`WebhookRejected` if not genuine."""
    try:
        sent = int(timestamp)
    except ValueError:
        raise WebhookRejected(detail="bad timestamp") from None
    now = clock.now()
    if abs(now.timestamp() - sent) > tolerance_seconds:
        raise WebhookRejected(detail="timestamp outside the tolerance")
    # During a key rotation the provider may still sign with the previous key's secret.
    candidates = [secret] if secret is not None else list(derived_keys("phone-webhook"))
    if not any(constant_time_equals(sign(body, sent, key), signature) for key in candidates):
        raise WebhookRejected(detail="bad signature")
    try:
        event = json.loads(body)
        event_id, caller, callee = str(event["event_id"]), str(event["caller"]), \
            str(event["callee"])
        called_at = clock.to_jst(datetime.fromisoformat(str(event["called_at"])))
    except (ValueError, KeyError, TypeError):
        raise WebhookRejected(detail="malformed event") from None
    inserted = insert_ignoring_conflicts(session, PhoneCallEvent, {
        "event_id": event_id[:80], "caller": national(caller)[-20:],
        "callee": national(callee)[-20:], "called_at": called_at, "received_at": now})
    if not inserted:
        return WebhookResult(event_id, matched=False, duplicate=True)
    matched = _complete_matching(session, caller, callee, called_at, event_id)
    audit(session, actor="telephony", action="auth.phone_call_reported",
          subject_type="phone_call_event", subject_id=event_id[:60], matched=matched)
    return WebhookResult(event_id, matched=matched)


def _complete_matching(session: Session, caller: str, callee: str, called_at: datetime,
                       event_id: str) -> bool:
    """Complete the live challenges this call answers (caller-id match inside the window)."""
    candidates = session.execute(
        select(Challenge).where(Challenge.kind == ChallengeKind.PHONE_CALL,
                                Challenge.answer_hash.in_(
                                    keyed_digests("phone-caller", national(caller))),
                                Challenge.completed_at.is_(None),
                                Challenge.consumed_at.is_(None),
                                Challenge.created_at <= called_at,
                                Challenge.expires_at >= called_at)
    ).scalars().all()
    t = table_of(Challenge)
    matched = False
    for challenge in candidates:
        if national(json.loads(challenge.data).get("callee", "")) != national(callee):
            continue
        done = session.execute(
            update(t).where(t.c.id == challenge.id, t.c.completed_at.is_(None))
            .values(completed_at=called_at).returning(t.c.id)).one_or_none()
        if done is not None:
            matched = True
            session.execute(update(table_of(PhoneCallEvent))
                            .where(table_of(PhoneCallEvent).c.event_id == event_id[:80])
                            .values(challenge_id=challenge.id))
        session.expire(challenge)
    return matched


def status(session: Session, challenge_id: str) -> str:
    """``pending`` / ``completed`` / ``expired`` / ``used``, for the page to poll."""
    row = repo.challenge(session, challenge_id)
    if row is None or row.kind is not ChallengeKind.PHONE_CALL:
        return "expired"
    if row.consumed_at is not None:
        return "used"
    if row.completed_at is not None:
        return "completed"
    return "expired" if row.expires_at <= clock.now() else "pending"


def consume_completed(session: Session, user: AuthUser, challenge_id: str, *,
                      operation_digest: str) -> bool:
    """Spend a completed call on the operation it was opened for."""
    row = repo.challenge(session, challenge_id)
    if (row is None or row.user_id != user.id or row.operation_digest != operation_digest
            or row.completed_at is None):
        return False
    # The window covers both the call and the confirmation that follows it.
    used = repo.consume_challenge(session, challenge_id, ChallengeKind.PHONE_CALL,
                                  clock.now(), require_completed=True)
    return used is not None
