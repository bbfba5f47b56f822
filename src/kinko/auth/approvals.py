"""Smartphone authentication (スマホ認証, AUTH-12, 002 第12条) with WebAuthn (py_webauthn).

Each user registers their own smartphone (a WebAuthn credential: a device key pair whose
private key never leaves the phone). To approve an operation, the phone shows the details the
bank holds for it and signs a challenge derived from the SHA-256 of those exact details (plus
a nonce): ``challenge = SHA-256("kinko-approval" ‖ operation digest ‖ nonce)``. A browser
taken over by malware can change what the PC shows, but not what the bank hashed and the phone
signed, so a changed payee or amount cannot be approved. Each approval is used once, by the
operation it was made for.

Requires a soft token contract with smartphone authentication (002 第12条1).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import (
    InvalidAuthenticationResponse,
    InvalidRegistrationResponse,
)
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from kinko import clock
from kinko.auth import challenges
from kinko.auth import repository as repo
from kinko.auth.effects import audit, user_actor
from kinko.auth.errors import ChallengeInvalid, FactorNotAvailable
from kinko.auth.models import (
    ApprovalDevice,
    AuthUser,
    ChallengeKind,
    DeviceState,
    TokenKind,
)
from kinko.auth.policy import Operation
from kinko.auth.rules import operation_digest
from kinko.auth.users import contract_of, get_user, rules_for_user
from kinko.db.base import table_of
from kinko.errors import DomainError
from kinko.instructions.errors import StepUpRequired
from kinko.instructions.service import StepUpProof


@dataclass(frozen=True)
class RelyingParty:
    id: str          # e.g. "bank.example.jp"
    name: str        # e.g. "Kinko Bank"
    origin: str      # e.g. "https://bank.example.jp"


@dataclass(frozen=True)
class RegistrationStart:
    challenge_id: str
    options_json: str


@dataclass(frozen=True)
class ApprovalChallenge:
    approval_id: str
    operation: str
    details: Mapping[str, Any]
    operation_digest: str
    options_json: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode())


def approval_challenge(digest: str, nonce: bytes) -> bytes:
    return hashlib.sha256(b"kinko-approval\x00" + bytes.fromhex(digest) + nonce).digest()


def _devices(session: Session, user_id: int) -> list[ApprovalDevice]:
    return list(session.execute(
        select(ApprovalDevice).where(ApprovalDevice.user_id == user_id,
                                     ApprovalDevice.state == DeviceState.ACTIVE)
    ).scalars().all())


def _require_smartphone_auth(session: Session, user: AuthUser) -> None:
    contract = contract_of(session, user)
    if not contract.smartphone_auth or contract.token_kind is not TokenKind.SOFT:
        raise FactorNotAvailable(detail="the contract does not use smartphone authentication")
    if repo.active_token(session, user.id) is None:
        raise FactorNotAvailable(detail="register the soft token first (002 第12条1)")


def begin_device_registration(session: Session, *, user_id: int, rp: RelyingParty
                              ) -> RegistrationStart:
    user = get_user(session, user_id)
    _require_smartphone_auth(session, user)
    rules = rules_for_user(session, user)
    raw = secrets.token_bytes(32)
    row = challenges.create(session, ChallengeKind.WEBAUTHN_REGISTER, ttl=rules.approval_ttl,
                            user_id=user.id, data={"challenge": _b64(raw)})
    options = generate_registration_options(
        rp_id=rp.id, rp_name=rp.name, user_name=user.login_id or f"user-{user.id}",
        user_id=f"kinko-user-{user.id}".encode(), challenge=raw,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.REQUIRED),
    )
    return RegistrationStart(row.public_id, options_to_json(options))


def finish_device_registration(session: Session, *, user_id: int, challenge_id: str,
                               credential: str | dict[str, Any], rp: RelyingParty,
                               label: str = "") -> int:
    """Store the phone's credential; it replaces the user's previous phone (one per user)."""
    user = get_user(session, user_id)
    used = repo.consume_challenge(session, challenge_id, ChallengeKind.WEBAUTHN_REGISTER,
                                  clock.now())
    if used is None or used.user_id != user.id:
        raise ChallengeInvalid()
    try:
        verified = verify_registration_response(
            credential=credential, expected_challenge=_unb64(json.loads(used.data)["challenge"]),
            expected_rp_id=rp.id, expected_origin=rp.origin, require_user_verification=True)
    except InvalidRegistrationResponse as exc:
        raise ChallengeInvalid(detail=str(exc)) from exc
    now = clock.now()
    for old in _devices(session, user.id):
        old.state = DeviceState.REMOVED
    device = ApprovalDevice(user_id=user.id,
                            credential_id=bytes_to_base64url(verified.credential_id),
                            public_key=verified.credential_public_key,
                            sign_count=verified.sign_count, label=label[:80],
                            registered_at=now)
    session.add(device)
    session.flush()
    audit(session, actor=user_actor(user), action="auth.device_registered", user=user,
          device_id=device.id)
    return device.id


def request_approval(session: Session, *, user_id: int, operation: Operation,
                     details: Mapping[str, Any], rp: RelyingParty) -> ApprovalChallenge:
    """Open an approval for ``details``; the phone fetches it, shows it, and signs it."""
    user = get_user(session, user_id)
    _require_smartphone_auth(session, user)
    devices = _devices(session, user.id)
    if not devices:
        raise FactorNotAvailable(detail="no smartphone registered")
    rules = rules_for_user(session, user)
    digest = operation_digest(operation.value, details)
    nonce = secrets.token_bytes(16)
    row = challenges.create(session, ChallengeKind.WEBAUTHN_APPROVE, ttl=rules.approval_ttl,
                            user_id=user.id,
                            data={"nonce": _b64(nonce), "operation": operation.value,
                                  "details": dict(details)},
                            operation_digest=digest)
    options = generate_authentication_options(
        rp_id=rp.id, challenge=approval_challenge(digest, nonce),
        allow_credentials=[PublicKeyCredentialDescriptor(
            id=_unb64_id(d.credential_id)) for d in devices],
        user_verification=UserVerificationRequirement.REQUIRED)
    return ApprovalChallenge(row.public_id, operation.value, dict(details), digest,
                             options_to_json(options))


def _unb64_id(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def submit_approval(session: Session, *, approval_id: str, credential: str | dict[str, Any],
                    rp: RelyingParty, approve: bool = True) -> bool:
    """The phone's signed answer (approve or reject). Returns True when recorded."""
    row = repo.challenge(session, approval_id)
    now = clock.now()
    if (row is None or row.kind is not ChallengeKind.WEBAUTHN_APPROVE
            or row.completed_at is not None or row.consumed_at is not None
            or row.expires_at <= now or row.user_id is None):
        raise ChallengeInvalid()
    data = json.loads(row.data)
    digest = operation_digest(data["operation"], data["details"])
    if digest != row.operation_digest:   # pragma: no cover - stored together
        raise ChallengeInvalid()
    parsed = credential if isinstance(credential, dict) else json.loads(credential)
    device = session.execute(select(ApprovalDevice).where(
        ApprovalDevice.credential_id == str(parsed.get("id", "")),
        ApprovalDevice.user_id == row.user_id,
        ApprovalDevice.state == DeviceState.ACTIVE)).scalar_one_or_none()
    if device is None:
        raise ChallengeInvalid(detail="unknown device")
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=approval_challenge(digest, _unb64(data["nonce"])),
            expected_rp_id=rp.id, expected_origin=rp.origin,
            credential_public_key=device.public_key,
            credential_current_sign_count=device.sign_count, require_user_verification=True)
    except InvalidAuthenticationResponse as exc:
        raise ChallengeInvalid(detail=str(exc)) from exc
    d = table_of(ApprovalDevice)
    # A signature counter that does not move forward means a cloned key: refuse (conditional
    # UPDATE, so two racing assertions with one counter value cannot both pass).
    new_count = verified.new_sign_count
    moved = session.execute(
        update(d).where(d.c.id == device.id,
                        or_(d.c.sign_count < new_count,
                            (d.c.sign_count == 0) & (new_count == 0)))
        .values(sign_count=new_count, last_used_at=now).returning(d.c.id)).one_or_none()
    session.expire(device)
    if moved is None:
        raise ChallengeInvalid(detail="signature counter did not advance")
    c = table_of(type(row))
    data["decision"] = "approved" if approve else "rejected"
    done = session.execute(
        update(c).where(c.c.id == row.id, c.c.completed_at.is_(None))
        .values(completed_at=now, data=json.dumps(data, sort_keys=True, ensure_ascii=False))
        .returning(c.c.id)).one_or_none()
    session.expire(row)
    if done is None:
        raise ChallengeInvalid()
    audit(session, actor=user_actor(row.user_id), action="auth.smartphone_decision",
          user=row.user_id, operation=data["operation"], digest=digest,
          decision=data["decision"])
    return True


def consume_approval(session: Session, user: AuthUser, approval_id: str, *,
                     operation_digest: str) -> bool:
    """Spend an approved approval on the operation it was made for (once)."""
    used = repo.consume_challenge(session, approval_id, ChallengeKind.WEBAUTHN_APPROVE,
                                  clock.now(), require_completed=True)
    if used is None or used.user_id != user.id or used.operation_digest != operation_digest:
        return False
    return bool(json.loads(used.data).get("decision") == "approved")


def pending_approvals(session: Session, user_id: int) -> list[ApprovalChallenge]:
    """What the phone app lists for the user to approve or reject (details from the bank)."""
    from kinko.auth.models import Challenge

    now = clock.now()
    rows = session.execute(select(Challenge).where(
        Challenge.user_id == user_id, Challenge.kind == ChallengeKind.WEBAUTHN_APPROVE,
        Challenge.completed_at.is_(None), Challenge.consumed_at.is_(None),
        Challenge.expires_at > now).order_by(Challenge.id)).scalars().all()
    result = []
    for r in rows:
        data = json.loads(r.data)
        result.append(ApprovalChallenge(r.public_id, data["operation"], data["details"],
                                        r.operation_digest or "", ""))
    return result


def approval_options(session: Session, *, user_id: int, approval_id: str, rp: RelyingParty
                     ) -> ApprovalChallenge:
    """An open approval of the user with the WebAuthn options the phone signs: the challenge
    is rebuilt from the stored digest and nonce, so the phone signs exactly those details."""
    row = repo.challenge(session, approval_id)
    now = clock.now()
    if (row is None or row.kind is not ChallengeKind.WEBAUTHN_APPROVE or row.user_id != user_id
            or row.completed_at is not None or row.consumed_at is not None
            or row.expires_at <= now):
        raise ChallengeInvalid()
    data = json.loads(row.data)
    digest = operation_digest(data["operation"], data["details"])
    options = generate_authentication_options(
        rp_id=rp.id, challenge=approval_challenge(digest, _unb64(data["nonce"])),
        allow_credentials=[PublicKeyCredentialDescriptor(id=_unb64_id(d.credential_id))
                           for d in _devices(session, user_id)],
        user_verification=UserVerificationRequirement.REQUIRED)
    return ApprovalChallenge(row.public_id, data["operation"], data["details"], digest,
                             options_to_json(options))


def deregister_device(session: Session, *, user_id: int, actor: str) -> int:
    """Remove the user's phone (a phone change: deregister, then register the new one,
    CRED-2). Returns how many devices were removed."""
    removed = 0
    for device in _devices(session, user_id):
        device.state = DeviceState.REMOVED
        removed += 1
    session.flush()
    if removed:
        audit(session, actor=actor, action="auth.device_removed", user=user_id, count=removed)
    return removed


def has_device(session: Session, user_id: int) -> bool:
    return bool(_devices(session, user_id))


def prove_step(session: Session, user: AuthUser, *, digest: str, step_up: StepUpProof | None,
               phone_approval_id: str | None, refused: type[DomainError], what: str) -> bool:
    """The proof an approver gives for one approval step over exactly ``digest`` (APR-1,
    AUTH-12): the approval the smartphone signed over it, or from the PC a step-up bound to
    it. Returns whether it came from the phone; ``refused`` is raised for a phone approval
    that does not match, StepUpRequired when the PC brings no matching step-up."""
    if phone_approval_id is not None:
        if not consume_approval(session, user, phone_approval_id, operation_digest=digest):
            raise refused(detail="the smartphone approval does not match")
        return True
    if step_up is None or step_up.user_id != user.id or step_up.operation_digest != digest:
        raise StepUpRequired(detail=what)
    return False
