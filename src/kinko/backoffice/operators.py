"""Operators (行員): accounts, roles, two-factor sign-in and lockout (OPS-1). Every change and
every sign-in, good or bad, is audited with the operator's identity.

An operator signs in with their code, a password (kept only as an argon2id hash) and the
current code of a TOTP authenticator (RFC 6238; the seed is encrypted at rest and each code is
accepted once). Wrong passwords or codes count towards the operator policy's lockout
(``policy.operators``). A new operator, or one whose credentials were reset, gets a random
initial password and a new TOTP secret shown once, and must change the password at the first
sign-in.
"""

from __future__ import annotations

import base64
import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import pyotp
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.service import record
from kinko.auth.crypto import constant_time_equals, decrypt, encrypt, hasher, needs_reencryption
from kinko.auth.rules import candidate_steps, normalise_digits
from kinko.backoffice.errors import OperatorNotAllowed
from kinko.backoffice.models import Operator, OperatorRole, OperatorRoleGrant
from kinko.errors import Conflict, NotFound, ValidationFailed
from kinko.policy import current_policy
from kinko.policy.model import OperatorPolicy

SEED_PURPOSE = "operator-totp-seed"
SEED_BYTES = 20          # 160 bits (RFC 4226 §4)
TOTP_PERIOD = 30
ISSUER = "Kinko console"


def actor_of(operator_id: int) -> str:
    return f"operator:{operator_id}"


def _policy() -> OperatorPolicy:
    return current_policy().operators


# --- accounts and roles ---------------------------------------------------------------------


def create_operator(session: Session, *, code: str, name: str,
                    roles: Iterable[OperatorRole], branch_code: str | None = None,
                    actor: str) -> Operator:
    code = code.strip()
    if not code or len(code) > 20 or not code.isascii() or not code.isalnum():
        raise ValidationFailed(detail="an operator code is 1–20 ASCII letters or digits",
                               fields=["code"])
    if not name.strip() or len(name) > 120:
        raise ValidationFailed(detail="a name of 1–120 characters is required", fields=["name"])
    if session.execute(select(Operator.id).where(Operator.code == code)).first():
        raise Conflict(detail=f"operator {code} exists")
    now = clock.now()
    operator = Operator(code=code, name=name.strip(), branch_code=branch_code or None,
                        active=True, created_at=now, must_change_password=True,
                        failed_attempts=0, locked=False)
    session.add(operator)
    session.flush()
    granted = sorted(set(roles))
    for role in granted:
        session.add(OperatorRoleGrant(operator_id=operator.id, role=role, granted_at=now))
    session.flush()
    record(session, actor=actor, action="backoffice.operator_created",
           subject_type="operator", subject_id=operator.id,
           data={"code": code, "roles": [r.value for r in granted]})
    return operator


def roles_of(session: Session, operator_id: int) -> frozenset[OperatorRole]:
    return frozenset(session.execute(
        select(OperatorRoleGrant.role).where(OperatorRoleGrant.operator_id == operator_id)
    ).scalars())


def grant(session: Session, *, operator_id: int, role: OperatorRole, actor: str) -> None:
    active_operator(session, operator_id)
    if role in roles_of(session, operator_id):
        return
    session.add(OperatorRoleGrant(operator_id=operator_id, role=role, granted_at=clock.now()))
    session.flush()
    record(session, actor=actor, action="backoffice.role_granted", subject_type="operator",
           subject_id=operator_id, data={"role": role.value})


def revoke(session: Session, *, operator_id: int, role: OperatorRole, actor: str) -> None:
    grant_row = session.get(OperatorRoleGrant, (operator_id, role))
    if grant_row is None:
        return
    session.delete(grant_row)
    session.flush()
    record(session, actor=actor, action="backoffice.role_revoked", subject_type="operator",
           subject_id=operator_id, data={"role": role.value})


def deactivate(session: Session, *, operator_id: int, actor: str) -> None:
    from kinko.backoffice import sessions

    operator = active_operator(session, operator_id)
    operator.active = False
    sessions.end_all(session, operator_id, reason="deactivated")
    record(session, actor=actor, action="backoffice.operator_deactivated",
           subject_type="operator", subject_id=operator_id, data={})


def active_operator(session: Session, operator_id: int) -> Operator:
    operator = session.get(Operator, operator_id)
    if operator is None:
        raise NotFound(detail=f"operator {operator_id}")
    if not operator.active:
        raise OperatorNotAllowed(detail="the operator is deactivated")
    return operator


def require_role(session: Session, operator_id: int, allowed: Iterable[OperatorRole]) -> None:
    """The service-layer permission check: the operator is active and holds one of
    ``allowed``; otherwise ``OperatorNotAllowed`` (and nothing was done)."""
    active_operator(session, operator_id)
    wanted = frozenset(allowed)
    if not roles_of(session, operator_id) & wanted:
        raise OperatorNotAllowed(detail="needs one of: " + ", ".join(sorted(wanted)))


def operator_by_code(session: Session, code: str) -> Operator | None:
    return session.execute(select(Operator).where(Operator.code == code)).scalar_one_or_none()


def active_supervisors(session: Session) -> int:
    return int(session.execute(
        select(func.count()).select_from(Operator).join(
            OperatorRoleGrant, OperatorRoleGrant.operator_id == Operator.id)
        .where(Operator.active.is_(True), OperatorRoleGrant.role == OperatorRole.SUPERVISOR)
    ).scalar_one())


# --- credentials ----------------------------------------------------------------------------


@dataclass(frozen=True)
class InitialCredentials:
    """Shown once to whoever hands them over; never stored in clear, never audited."""

    code: str
    password: str
    totp_secret: str        # base32, for typing into an authenticator app
    totp_uri: str           # otpauth://, for a QR code

    def describe(self) -> str:
        return (f"operator {self.code}: initial password {self.password} "
                f"(must be changed at the first sign-in); TOTP secret {self.totp_secret}; "
                f"{self.totp_uri}")


def _seal(seed: bytes, operator_id: int) -> bytes:
    return encrypt(SEED_PURPOSE, seed, context=f"operator:{operator_id}")


def _totp(operator: Operator) -> pyotp.TOTP | None:
    if operator.totp_seed is None:
        return None
    seed = decrypt(SEED_PURPOSE, operator.totp_seed, context=f"operator:{operator.id}")
    return pyotp.TOTP(base64.b32encode(seed).decode(), interval=TOTP_PERIOD)


def _random_password() -> str:
    # 16 characters from letters and digits (~95 bits), with at least one of each.
    alphabet = string.ascii_letters + string.digits
    while True:
        value = "".join(secrets.choice(alphabet) for _ in range(16))
        if any(c.isalpha() for c in value) and any(c.isdigit() for c in value):
            return value


def set_credentials(session: Session, *, operator_id: int, password: str, seed: bytes,
                    must_change: bool, actor: str) -> None:
    """Set a password and TOTP seed (initial issue, reset, or the demo's fixed values)."""
    from kinko.backoffice import sessions

    operator = active_operator(session, operator_id)
    operator.password_hash = hasher().hash(password)
    operator.password_changed_at = clock.now()
    operator.must_change_password = must_change
    operator.totp_seed = _seal(seed, operator.id)
    operator.totp_last_step = None
    operator.failed_attempts = 0
    operator.locked_until = None
    operator.locked = False
    sessions.end_all(session, operator_id, reason="credentials")
    session.flush()
    record(session, actor=actor, action="backoffice.credentials_issued",
           subject_type="operator", subject_id=operator_id,
           data={"must_change": must_change})


def issue_initial_credentials(session: Session, *, operator_id: int, actor: str
                              ) -> InitialCredentials:
    """A random initial password and a new TOTP secret, returned once."""
    operator = active_operator(session, operator_id)
    password = _random_password()
    seed = secrets.token_bytes(SEED_BYTES)
    set_credentials(session, operator_id=operator_id, password=password, seed=seed,
                    must_change=True, actor=actor)
    secret = base64.b32encode(seed).decode()
    uri = pyotp.TOTP(secret, interval=TOTP_PERIOD).provisioning_uri(
        name=operator.code, issuer_name=ISSUER)
    return InitialCredentials(operator.code, password, secret, uri)


def password_problems(password: str, *, code: str) -> list[str]:
    rules = _policy()
    problems = []
    if not rules.password_min_length <= len(password) <= rules.password_max_length:
        problems.append(f"the password must be {rules.password_min_length}–"
                        f"{rules.password_max_length} characters")
    if not (any(c.isalpha() for c in password) and any(c.isdigit() for c in password)):
        problems.append("the password needs letters and digits")
    if code.lower() in password.lower():
        problems.append("the password must not contain the operator code")
    return problems


def change_password(session: Session, *, operator_id: int, current: str, new: str) -> None:
    """The operator's own change (forced at the first sign-in); ends their other sessions."""
    operator = active_operator(session, operator_id)
    if operator.password_hash is None or not hasher().verify(operator.password_hash,
                                                             current).ok:
        raise ValidationFailed(detail="the current password is wrong", fields=["current"])
    problems = password_problems(new, code=operator.code)
    if constant_time_equals(current, new):
        problems.append("the new password must differ from the current one")
    if problems:
        raise ValidationFailed(detail="; ".join(problems), fields=["new"])
    operator.password_hash = hasher().hash(new)
    operator.password_changed_at = clock.now()
    operator.must_change_password = False
    session.flush()
    record(session, actor=actor_of(operator_id), action="backoffice.password_changed",
           subject_type="operator", subject_id=operator_id, data={})


def current_code(operator: Operator) -> str:
    """The code the operator's authenticator shows now (the demo's `operator-otp`)."""
    totp = _totp(operator)
    if totp is None:
        raise NotFound(detail=f"operator {operator.code} has no authenticator")
    return totp.at(clock.now())


# --- sign-in --------------------------------------------------------------------------------


class SignInOutcome(StrEnum):
    OK = "ok"
    WRONG = "wrong"          # unknown code, wrong password or code, not set up, deactivated
    LOCKED = "locked"


@dataclass(frozen=True)
class SignIn:
    outcome: SignInOutcome
    operator: Operator | None = None


def _matching_step(operator: Operator, code: str) -> int | None:
    totp = _totp(operator)
    typed = normalise_digits(code)
    if totp is None or len(typed) != 6 or not typed.isdigit():
        return None
    found = None
    for step in candidate_steps(clock.now(), TOTP_PERIOD, _policy().otp_window):
        if constant_time_equals(totp.generate_otp(step), typed) and found is None:
            found = step
    if found is None or (operator.totp_last_step is not None
                         and found <= operator.totp_last_step):
        return None   # a code already used (or an older one) is not accepted again
    return found


def is_locked(operator: Operator) -> bool:
    return operator.locked or (operator.locked_until is not None
                               and operator.locked_until > clock.now())


def sign_in(session: Session, *, code: str, password: str, otp_code: str) -> SignIn:
    """Check code, password and TOTP together; count a failure towards the lockout."""
    operator = session.execute(
        select(Operator).where(Operator.code == code).with_for_update()).scalar_one_or_none()
    if operator is None or operator.password_hash is None:
        hasher().dummy_verify(password)
        record(session, actor="anonymous", action="backoffice.operator_login_failed",
               subject_type="operator", subject_id=code[:20], data={"reason": "unknown"})
        return SignIn(SignInOutcome.WRONG)
    if is_locked(operator):
        hasher().dummy_verify(password)
        record(session, actor="anonymous", action="backoffice.operator_login_failed",
               subject_type="operator", subject_id=operator.id, data={"reason": "locked"})
        return SignIn(SignInOutcome.LOCKED)
    checked = hasher().verify(operator.password_hash, password)
    step = _matching_step(operator, otp_code)
    if not checked.ok or step is None or not operator.active:
        return _failed(session, operator, password_ok=checked.ok, otp_ok=step is not None)
    operator.failed_attempts = 0
    operator.locked_until = None
    operator.totp_last_step = step
    if checked.needs_rehash:
        operator.password_hash = hasher().hash(password)
    session.flush()
    record(session, actor=actor_of(operator.id), action="backoffice.operator_login",
           subject_type="operator", subject_id=operator.id, data={})
    return SignIn(SignInOutcome.OK, operator)


def _failed(session: Session, operator: Operator, *, password_ok: bool, otp_ok: bool
            ) -> SignIn:
    rules = _policy()
    operator.failed_attempts += 1
    locked = operator.active and operator.failed_attempts >= rules.max_failed_attempts
    if locked:
        operator.failed_attempts = 0
        if rules.lockout is None:
            operator.locked = True
        else:
            operator.locked_until = clock.now() + rules.lockout
    session.flush()
    record(session, actor="anonymous", action="backoffice.operator_login_failed",
           subject_type="operator", subject_id=operator.id,
           data={"password_ok": password_ok, "otp_ok": otp_ok, "locked": locked})
    if locked:
        record(session, actor="system", action="backoffice.operator_locked",
               subject_type="operator", subject_id=operator.id,
               data={"until": None if operator.locked_until is None
                     else operator.locked_until.isoformat()})
    return SignIn(SignInOutcome.LOCKED if locked else SignInOutcome.WRONG)


def release_lock(session: Session, *, operator_id: int, actor: str) -> None:
    operator = active_operator(session, operator_id)
    operator.locked = False
    operator.locked_until = None
    operator.failed_attempts = 0
    record(session, actor=actor, action="backoffice.operator_lock_released",
           subject_type="operator", subject_id=operator_id, data={})


def reencrypt_seeds(session: Session) -> int:
    """Re-encrypt operators' TOTP seeds made under a previous secret key (``kinko keys
    reencrypt``); a seed no configured key opens raises ``DecryptionFailed``."""
    done = 0
    for operator in session.execute(select(Operator).where(Operator.totp_seed.is_not(None))
                                    ).scalars():
        blob = operator.totp_seed
        if blob is None or not needs_reencryption(SEED_PURPOSE, blob):
            continue
        context = f"operator:{operator.id}"
        operator.totp_seed = encrypt(SEED_PURPOSE, decrypt(SEED_PURPOSE, blob, context=context),
                                     context=context)
        done += 1
    session.flush()
    return done
