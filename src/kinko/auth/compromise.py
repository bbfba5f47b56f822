"""Compromise reports (CRED-6, SUSP-1, 002 第11条12, 003 第五条3).

When a customer reports the loss, theft or suspected misuse of a credential or device, the
service stops at once: the user (or the whole contract) is suspended, every open session ends,
and the reported credential is put out of use (token stopped, card revoked, certificates
revoked, approval phone removed). Resuming is the bank's procedure: an operator asks, a second
operator approves (:mod:`kinko.backoffice`), and :func:`resume` carries it out.
"""

from __future__ import annotations

import enum

from sqlalchemy import select
from sqlalchemy.orm import Session

from kinko import clock
from kinko.auth import certificates, tokens
from kinko.auth import repository as repo
from kinko.auth.effects import audit, notify
from kinko.auth.errors import UserNotFound
from kinko.auth.models import (
    ApprovalDevice,
    AuthUser,
    CardState,
    CompromiseReport,
    CompromiseScope,
    ContractState,
    DeviceState,
    UserState,
)
from kinko.auth.users import get_user
from kinko.errors import Conflict, ValidationFailed


class Credential(enum.StrEnum):
    PASSWORD = "password"          # any typed secret  # noqa: S105 - a category name
    TOKEN = "token"  # noqa: S105 - hard token or the phone with the soft token
    CARD = "card"                  # members card with the confirmation numbers
    CERTIFICATE = "certificate"    # the PC holding the client certificate
    DEVICE = "device"              # the smartphone used for スマホ認証
    OTHER = "other"


def _stop_credential(session: Session, user: AuthUser, credential: Credential, actor: str
                     ) -> None:
    now = clock.now()
    if credential in (Credential.TOKEN, Credential.DEVICE):
        tokens.report_lost(session, user_id=user.id, actor=actor)
    if credential is Credential.DEVICE:
        for device in session.execute(select(ApprovalDevice).where(
                ApprovalDevice.user_id == user.id,
                ApprovalDevice.state == DeviceState.ACTIVE)).scalars():
            device.state = DeviceState.REMOVED
    if credential is Credential.CARD:
        card = repo.active_card(session, user.id)
        if card is not None:
            card.state, card.revoked_at = CardState.REVOKED, now
    if credential is Credential.CERTIFICATE:
        certificates.revoke_all(session, user_ids=[user.id], reason="reported", actor=actor)


def report(session: Session, *, user_id: int, credential: Credential, channel: str,
           scope: CompromiseScope = CompromiseScope.USER, note: str = "", actor: str) -> int:
    """Stop the service at once on the customer's report; returns the report id.

    ``actor`` is the user (reporting online) or the operator who took the call.
    """
    if channel not in ("phone", "web", "branch", "app"):
        raise ValidationFailed(detail=f"unknown channel {channel!r}")
    user = get_user(session, user_id)
    contract = repo.contract(session, user.contract_id)
    if contract is None:  # pragma: no cover - foreign key
        raise UserNotFound(detail=str(user_id))
    now = clock.now()
    affected = ([user] if scope is CompromiseScope.USER
                else list(repo.users_of_contract(session, contract.id)))
    if scope is CompromiseScope.CONTRACT:
        contract.state = ContractState.SUSPENDED
        contract.state_reason = f"compromise report: {credential.value}"
        contract.state_changed_at = now
    for person in affected:
        repo.set_user_state(session, person.id, UserState.SUSPENDED,
                            reason=f"compromise report: {credential.value}",
                            from_states=tuple(UserState))
        repo.end_sessions(session, person.id, now, "compromise_report")
    _stop_credential(session, user, credential, actor)
    row = CompromiseReport(contract_id=contract.id, user_id=user.id, scope=scope,
                           credential=credential.value, channel=channel, note=note[:500],
                           reported_at=now)
    session.add(row)
    session.flush()
    audit(session, actor=actor, action="auth.compromise_reported", user=user,
          report_id=row.id, scope=scope.value, credential=credential.value, channel=channel,
          users=[p.id for p in affected])
    notify(session, user, "auth.service_stopped", at=now.isoformat(),
           credential=credential.value)
    return row.id


def resume(session: Session, *, report_id: int, actor: str,
           request_id: int | None = None) -> list[int]:
    """Resume service after a report (run by a four-eyes approval); returns the user ids."""
    row = session.get(CompromiseReport, report_id)
    if row is None:
        raise ValidationFailed(detail=f"no report {report_id}")
    if row.resumed_at is not None:
        raise Conflict(detail="service already resumed for this report")
    contract = repo.contract(session, row.contract_id)
    if contract is None:  # pragma: no cover - foreign key
        raise ValidationFailed(detail="no contract")
    if row.scope is CompromiseScope.CONTRACT:
        contract.state = ContractState.ACTIVE
        contract.state_reason = None
        contract.state_changed_at = clock.now()
        users = list(repo.users_of_contract(session, contract.id))
    else:
        users = [get_user(session, row.user_id)] if row.user_id is not None else []
    resumed = []
    for person in users:
        if repo.set_user_state(session, person.id, UserState.ACTIVE, reason=None,
                               from_states=(UserState.SUSPENDED,)):
            resumed.append(person.id)
    row.resumed_at = clock.now()
    row.resumed_by_request_id = request_id
    audit(session, actor=actor, action="auth.service_resumed",
          subject_type="compromise_report", subject_id=row.id, users=resumed,
          request_id=request_id)
    for person in users:
        notify(session, person, "auth.released", at=clock.now().isoformat())
    return resumed
