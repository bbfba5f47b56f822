"""Typed secrets: set, verify (with rehash), change, and the new-password checks.

Login passwords, confirmation passwords and secret phrases are stored only as argon2id hashes
(AUTH-10). A change needs the old value to match the latest one (AUTH-8), passes the
guessability rules (AUTH-9) and may not repeat one of the last N (policy). A verification that
finds a hash made with older argon2 parameters rehashes it with the current ones.
"""

from __future__ import annotations

import secrets
import string
from datetime import datetime

from sqlalchemy.orm import Session

from kinko import clock
from kinko.auth import lockout
from kinko.auth import repository as repo
from kinko.auth.crypto import hasher
from kinko.auth.effects import audit, notify, user_actor
from kinko.auth.errors import OldPasswordMismatch, PasswordRejected
from kinko.auth.models import AuthSecret, AuthSecretHistory, AuthUser, SecretKind
from kinko.auth.outcomes import Done, Failed, Outcome
from kinko.auth.policy import AuthRules
from kinko.auth.rules import (
    PROBLEM_MESSAGES,
    PasswordPolicy,
    PasswordProblem,
    PersonalFacts,
    password_problems,
)
from kinko.auth.users import get_user, rules_for_user
from kinko.parties.models import Customer

# The secret that must differ from each kind (a corporate login and confirmation password).
_OTHER = {SecretKind.LOGIN_PASSWORD: SecretKind.CONFIRMATION_PASSWORD,
          SecretKind.CONFIRMATION_PASSWORD: SecretKind.LOGIN_PASSWORD}


def set_secret(session: Session, user: AuthUser, kind: SecretKind, value: str, *,
               temporary: bool = False, now: datetime | None = None) -> None:
    """Store a new hash for ``kind`` and keep the old ones for the history rule."""
    moment = clock.now() if now is None else now
    digest = hasher().hash(value)
    current = repo.secret(session, user.id, kind)
    if current is None:
        session.add(AuthSecret(user_id=user.id, kind=kind, hash=digest, temporary=temporary,
                               set_at=moment))
    else:
        current.hash, current.temporary, current.set_at = digest, temporary, moment
    session.add(AuthSecretHistory(user_id=user.id, kind=kind, hash=digest, set_at=moment))
    if kind is SecretKind.LOGIN_PASSWORD:
        user.password_changed_at = moment
        user.must_change_password = temporary
    elif kind is SecretKind.CONFIRMATION_PASSWORD:
        user.must_change_confirmation_password = temporary
    session.flush()


def verify_secret(session: Session, user: AuthUser | None, kind: SecretKind, value: str
                  ) -> bool:
    """Check ``value`` against the stored hash, in constant work whether or not one exists.

    An unknown user or a user without this secret costs one dummy argon2 verification, so
    response time does not tell whether a login ID exists (AUTH-10); an unknown user runs the
    same query too (for no user: id 0 matches no row).
    """
    stored = repo.secret(session, 0 if user is None else user.id, kind)
    if stored is None:
        hasher().dummy_verify(value)
        return False
    result = hasher().verify(stored.hash, value)
    if result.ok and result.needs_rehash:
        # Argon2 parameters were raised since this hash was made: upgrade it now that the
        # plain value is at hand (it never is otherwise).
        stored.hash = hasher().hash(value)
    return result.ok


def has_secret(session: Session, user: AuthUser, kind: SecretKind) -> bool:
    return repo.secret(session, user.id, kind) is not None


def personal_facts(session: Session, user: AuthUser) -> PersonalFacts:
    customer = session.get(Customer, user.customer_id)
    return PersonalFacts(login_id=user.login_id,
                         birth_date=customer.birth_date if customer else None,
                         phone=customer.phone if customer else None)


def password_policy(rules: AuthRules) -> PasswordPolicy:
    return PasswordPolicy(min_length=rules.password_min_length,
                          max_length=rules.password_max_length,
                          needs_letter_and_digit=rules.password_needs_letter_and_digit)


def rejection(problems: list[PasswordProblem]) -> PasswordRejected:
    return PasswordRejected(
        detail=" ".join(PROBLEM_MESSAGES[p][1] for p in problems),
        reasons=[p.value for p in problems],
        reasons_ja=[PROBLEM_MESSAGES[p][0] for p in problems],
        reasons_en=[PROBLEM_MESSAGES[p][1] for p in problems],
    )


def check_new_secret(session: Session, user: AuthUser, kind: SecretKind, candidate: str,
                     rules: AuthRules, *, login_id: str | None = None) -> None:
    """Raise :class:`PasswordRejected` with every reason ``candidate`` cannot be used."""
    facts = personal_facts(session, user)
    if login_id is not None:
        facts = PersonalFacts(login_id=login_id, birth_date=facts.birth_date,
                              phone=facts.phone)
    problems = password_problems(candidate, password_policy(rules), facts)
    if not problems:
        other = _OTHER.get(kind)
        other_secret = None if other is None else repo.secret(session, user.id, other)
        if other_secret is not None and hasher().verify(other_secret.hash, candidate).ok:
            problems.append(PasswordProblem.SAME_AS_OTHER_SECRET)
        history = repo.recent_history(session, user.id, kind, rules.password_history)
        if any(hasher().verify(old, candidate).ok for old in history):
            problems.append(PasswordProblem.REUSED)
    if problems:
        raise rejection(problems)


def change_secret(session: Session, *, user_id: int, kind: SecretKind, old: str, new: str,
                  actor: str | None = None) -> Outcome:
    """Change a password when the old one matches the latest (AUTH-8, 001 2(8)).

    A wrong old password counts toward lockout and is returned as a :class:`Rejected`; a new
    password that breaks a rule raises :class:`PasswordRejected` (nothing is written).
    """
    user = get_user(session, user_id)
    rules = rules_for_user(session, user)
    refused = lockout.refusal(user)
    if refused is not None:
        return refused
    # Check the new one first: a rule violation is the customer's typing, not a guess.
    check_new_secret_rules_only(user, kind, new, rules, session)
    if not verify_secret(session, user, kind, old):
        failed = lockout.register_failure(session, user, rules, factor=kind.value,
                                          context="change")
        if isinstance(failed, Failed) and not failed.locked_now:
            return Failed(error=OldPasswordMismatch())
        return failed
    check_new_secret(session, user, kind, new, rules)
    set_secret(session, user, kind, new)
    audit(session, actor=actor or user_actor(user), action="auth.secret_changed", user=user,
          kind=kind.value)
    notify(session, user, "auth.secret_changed", kind=kind.value,
           at=clock.now().isoformat())
    return Done()


def check_new_secret_rules_only(user: AuthUser, kind: SecretKind, candidate: str,
                                rules: AuthRules, session: Session) -> None:
    """The checks that need no hash comparison (cheap, before the old password is tried)."""
    problems = password_problems(candidate, password_policy(rules),
                                 personal_facts(session, user))
    if problems:
        raise rejection(problems)


def random_password(rules: AuthRules, length: int = 12) -> str:
    """A bank-issued password that passes the product's own rules."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if not password_problems(candidate, password_policy(rules)):
            return candidate


def issue_temporary_password(session: Session, *, user_id: int, actor: str) -> str:
    """Reset a forgotten password (AUTH-10: never shown or sent, only reset): a new temporary
    password, returned once to be mailed on paper, that must be changed at the next login.
    Carried out by an operator with a second operator's approval (OPS-1)."""
    user = get_user(session, user_id)
    password = random_password(rules_for_user(session, user))
    set_secret(session, user, SecretKind.LOGIN_PASSWORD, password, temporary=True)
    audit(session, actor=actor, action="auth.password_reset", user=user)
    notify(session, user, "auth.secret_changed", at=clock.now().isoformat(),
           kind=SecretKind.LOGIN_PASSWORD.value)
    return password
