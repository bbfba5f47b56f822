"""Step-up authentication for important operations (AUTH-3, AUTH-4, AUTH-12).

Fund movements, limit changes and settings need the product's step-up factors again inside a
session: a fresh OTP (003), the confirmation password and an OTP (002 Basic/Comprehensive),
cells of the confirmation-number card (001), and a phone call from the registered number when
the bank turns it on (001 2(5)). Every step-up is bound to the digest of the operation's exact
details; a success rotates the session token and is spent at once by that operation, carried
out in the same transaction.

Flow for the instruction layer: ``begin`` when showing the confirmation screen (it returns
which fields to ask and the card cells / number to call), then ``verify`` with what the
customer entered, in the transaction that carries the operation out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from kinko import clock
from kinko.auth import approvals, cards, lockout, otp, phone, sessions
from kinko.auth import repository as repo
from kinko.auth.effects import audit, user_actor
from kinko.auth.errors import FactorNotAvailable, StepUpRequired
from kinko.auth.models import AuthSession, AuthUser, OtpToken, SecretKind
from kinko.auth.outcomes import Rejected, SteppedUp, StepUpResult
from kinko.auth.passwords import verify_secret
from kinko.auth.policy import AuthRules, Factor, Operation
from kinko.auth.rules import operation_digest
from kinko.auth.users import get_user, rules_for_user


@dataclass(frozen=True)
class StepUpPlan:
    """What the confirmation screen must ask for."""

    operation_digest: str
    factors: tuple[Factor, ...]
    card: cards.CardChallenge | None = None
    phone_call: phone.PhoneCallChallenge | None = None


@dataclass(frozen=True)
class Answers:
    """What the customer entered on the confirmation screen."""

    otp_code: str | None = None
    confirmation_password: str | None = None
    secret_phrase: str | None = None
    card_challenge_id: str | None = None
    card_answers: Mapping[str, str] | None = None
    phone_challenge_id: str | None = None
    approval_id: str | None = None        # smartphone approval (AUTH-12)


def _context(session: Session, token: str) -> tuple[AuthSession, AuthUser, AuthRules]:
    row = sessions.authenticate(session, token)
    user = get_user(session, row.user_id)
    return row, user, rules_for_user(session, user)


def begin(session: Session, *, session_token: str, operation: Operation,
          details: Mapping[str, Any], first: bool = False) -> StepUpPlan:
    """What the confirmation screen asks for; ``first``: the operation is new in this request
    (see :func:`cards.start_challenge`)."""
    row, user, rules = _context(session, session_token)
    digest = operation_digest(operation.value, details)
    factors = rules.step_up_factors(operation)
    if Factor.OTP in factors and repo.active_token(session, user.id) is None:
        # CRED-3: every user of an OTP contract registers a token before transacting.
        raise FactorNotAvailable(detail="register a one-time password token first")
    card = (cards.start_challenge(session, user, rules, session_id=row.id,
                                  operation_digest=digest, first=first)
            if Factor.CARD in factors else None)
    call = (phone.start(session, user, rules, session_id=row.id, operation_digest=digest)
            if Factor.PHONE_CALL in factors else None)
    return StepUpPlan(digest, factors, card, call)


def _check(session: Session, row: AuthSession, user: AuthUser, rules: AuthRules,
           factors: tuple[Factor, ...], digest: str, answers: Answers,
           token: OtpToken | None, otp_step: list[int] | None = None) -> tuple[bool, str]:
    """Check every factor (no short cut); return (all right, first wrong factor).

    ``otp_step``: when given, a right one-time password is not spent here; its time step is
    appended for the caller to spend (with the session's rotation, in one statement)."""
    wrong: list[str] = []
    for factor in factors:
        if factor is Factor.OTP:
            if otp_step is not None:
                step = None if token is None else otp.unspent_step(
                    token, answers.otp_code or "", window=rules.otp_window)
                ok = step is not None
                if step is not None:
                    otp_step.append(step)
            else:
                ok = token is not None and otp.check_token(
                    session, token, answers.otp_code or "", window=rules.otp_window)
        elif factor is Factor.CONFIRMATION_PASSWORD:
            ok = verify_secret(session, user, SecretKind.CONFIRMATION_PASSWORD,
                               answers.confirmation_password or "")
        elif factor is Factor.SECRET_PHRASE:
            ok = verify_secret(session, user, SecretKind.SECRET_PHRASE,
                               answers.secret_phrase or "")
        elif factor is Factor.CARD:
            ok = cards.check_answers(session, user, answers.card_challenge_id or "",
                                     answers.card_answers or {}, session_id=row.id,
                                     operation_digest=digest)
        elif factor is Factor.SMARTPHONE:
            ok = approvals.consume_approval(session, user, answers.approval_id or "",
                                            operation_digest=digest)
        elif factor is Factor.PHONE_CALL:
            continue   # not a typed secret: checked separately, never counted
        else:  # pragma: no cover - profiles list only step-up factors
            ok = False
        if not ok:
            wrong.append(factor.value)
    return not wrong, ",".join(wrong)


def _not_ready(session: Session, user: AuthUser, factors: tuple[Factor, ...],
               answers: Answers, token: OtpToken | None) -> Rejected | None:
    """Reasons to refuse before any factor is checked (so nothing is spent or counted)."""
    refused = lockout.refusal(user)
    if refused is not None:
        return refused
    if Factor.OTP in factors and token is None:
        return Rejected(error=FactorNotAvailable(detail="register a token first"))
    if Factor.CARD in factors and not answers.card_challenge_id:
        # No cells were handed out (or none sent back): nothing was answered, so nothing is
        # counted as a wrong entry; the customer asks for the card cells first.
        return Rejected(error=StepUpRequired(detail="ask for the card cells first"))
    if Factor.PHONE_CALL in factors and phone.status(
            session, answers.phone_challenge_id or "") != "completed":
        # Waiting for the call spends no card challenge or OTP: the customer presses
        # confirm again once the call is through.
        return Rejected(error=phone.PhoneCallPending())
    return None


def _card_in_one_statement(session: Session, row: AuthSession, user: AuthUser,
                           operation: Operation, digest: str, answers: Answers
                           ) -> SteppedUp | None:
    """Right card answers, spent with the session's rotation in one statement (PostgreSQL):
    the step-up, or None when that cannot be (wrong answers, a used or expired challenge,
    another card, counters to clear, SQLite) — nothing is written then, and :func:`verify`
    goes the usual way, which spends the challenge and counts a wrong answer."""
    if not lockout.clean(user) or not answers.card_challenge_id or not answers.card_answers:
        return None
    card = repo.active_card(session, user.id)
    if card is None:
        return None
    # Handed back for the usual way (SQLite always, or answers that do not hash the same),
    # which would otherwise read the active card again.
    session.info.setdefault(repo.PRELOADED_CARDS, {})[user.id] = card
    now = clock.now()
    new_token = sessions.rotate_spending_card(
        session, row, challenge_id=answers.card_challenge_id,
        answers_hash=cards.answers_digest(card, answers.card_challenge_id,
                                          answers.card_answers),
        operation_digest=digest, stepped_up_at=now, stepped_up_for=None)
    if new_token is None:
        return None
    audit(session, actor=user_actor(user), action="auth.step_up", user=user,
          operation=operation.value, digest=digest, factors=[Factor.CARD.value],
          session_id=row.id)
    return SteppedUp(new_token, digest, now)


def verify(session: Session, *, session_token: str, operation: Operation,
           details: Mapping[str, Any], answers: Answers, spend: bool = False) -> StepUpResult:
    """Check the step-up factors for this exact operation; rotate the session on success.

    ``spend=True`` when the operation is carried out in the same transaction: the step-up is
    used up by the same UPDATE that records it."""
    row, user, rules = _context(session, session_token)
    digest = operation_digest(operation.value, details)
    factors = rules.step_up_factors(operation)
    # The user's active token, read once for both the readiness check and the OTP check.
    token = repo.active_token(session, user.id) if Factor.OTP in factors else None
    early: StepUpResult | None = _not_ready(session, user, factors, answers, token)
    if early is None and spend and factors == (Factor.CARD,):
        # Right card answers: spent with the session's rotation in one statement.
        early = _card_in_one_statement(session, row, user, operation, digest, answers)
    if early is not None:
        return early
    # A step-up spent at once: a right one-time password's step is spent by the same
    # statement that rotates the session (below; a data-modifying CTE on PostgreSQL, a
    # view's trigger on SQLite). Wherever this returns before that, the step is spent on its
    # own, as it always was once the code matched (AUTH-5).
    deferred: list[int] | None = [] if spend and token is not None else None

    def spend_otp_now() -> None:
        if deferred and token is not None:
            repo.accept_otp_step(session, token.id, deferred[0])

    ok, wrong = _check(session, row, user, rules, factors, digest, answers, token, deferred)
    if not ok:
        spend_otp_now()
        return lockout.register_failure(session, user, rules, factor=wrong, context="step_up")
    if Factor.PHONE_CALL in factors and not phone.consume_completed(
            session, user, answers.phone_challenge_id or "", operation_digest=digest):
        spend_otp_now()
        return Rejected(error=phone.PhoneCallPending())
    # A correct answer clears the failure counters; when this transaction read them clear
    # already, there is nothing to write (a wrong entry counted since then is kept, as it
    # would be had it come a moment after this one).
    if not lockout.clean(user):
        refused = lockout.register_success(session, user)
        if refused is not None:
            spend_otp_now()
            return refused
    now = clock.now()
    # One UPDATE: the new token and the step-up. ``spend``: the caller carries the operation
    # out in this same transaction, so the step-up is spent at once: the row, locked by this
    # UPDATE until the commit, never holds an unspent step-up that another request could use.
    if deferred and token is not None:
        rotated = sessions.rotate_spending_otp(session, row, token_id=token.id,
                                               step=deferred[0], stepped_up_at=now,
                                               stepped_up_for=None)
        if rotated is None:
            # Another request spent this code first: a replayed one-time password.
            return lockout.register_failure(session, user, rules, factor="otp",
                                            context="step_up")
        new_token = rotated
    else:
        new_token = sessions.rotate(session, row, stepped_up_at=now,
                                    stepped_up_for=None if spend else digest)
    audit(session, actor=user_actor(user), action="auth.step_up", user=user,
          operation=operation.value, digest=digest, factors=[f.value for f in factors],
          session_id=row.id)
    return SteppedUp(new_token, digest, now)
