"""Token applications of the business net (CRED-2, CRED-3; 002 第11条3, 11).

A contract uses hard tokens or soft tokens, never both for one user; switching between them
is by application (当行所定の書面), and so is removing a user's smartphone before a phone
change. The user applies on the portal (switching the whole contract: the master or an admin
user); the bank carries the application out with the operators' four-eyes approval
(:mod:`kinko.backoffice.approvals`, action ``corporate.token_application``): a teller asks,
a security officer approves, and the change runs as the approver. Every step is audited and
mailed to the applicant."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from kinko import catalogue, clock
from kinko.audit.service import record
from kinko.auth import approvals as phone_approvals
from kinko.auth import repository as auth_repo
from kinko.auth import tokens
from kinko.auth.effects import notify
from kinko.auth.models import AuthContract, AuthUser, TokenKind, TokenState
from kinko.backoffice.actions import ActionSpec, register_action
from kinko.backoffice.models import OperatorRole
from kinko.corporate import entitlements
from kinko.corporate.errors import ManagerOnly, TokenApplicationRefused
from kinko.corporate.models import TokenApplication
from kinko.corporate_portal import notices as _notices  # noqa: F401 - registers the mail templates
from kinko.errors import NotFound, ValidationFailed
from kinko.instructions.service import Actor

ACTION = "corporate.token_application"
# What is applied for, in Japanese; its English is the catalogue's token_application.KIND.
KINDS = {
    "to_soft": "ハードトークンからソフトトークンへの切替",
    "to_hard": "ソフトトークンからハードトークンへの切替",
    "deregister_phone": "スマートフォンの利用解除（機種変更）",
}
PENDING, DONE, WITHDRAWN = "pending", "done", "withdrawn"


def _contract(session: Session, actor: Actor) -> AuthContract:
    contract = session.get(AuthContract, actor.contract_id)
    if contract is None or not entitlements.is_corporate(contract):
        raise ManagerOnly(detail="not a corporate contract")
    return contract


def _has_phone(session: Session, user_id: int) -> bool:
    soft = [t for t in auth_repo.tokens_of_user(session, user_id, (TokenState.ACTIVE,
                                                                     TokenState.PENDING))
            if t.kind is TokenKind.SOFT]
    return bool(soft) or phone_approvals.has_device(session, user_id)


def apply(session: Session, actor: Actor, *, kind: str, note: str = "") -> TokenApplication:
    """Record the application; nothing changes until the bank carries it out."""
    contract = _contract(session, actor)
    if kind not in KINDS:
        raise ValidationFailed(detail=f"kind is one of {', '.join(KINDS)}")
    if kind in ("to_soft", "to_hard"):
        # The token kind is the contract's (CRED-3): only the master or an admin user asks.
        if not entitlements.is_manager(session, actor):
            raise ManagerOnly(detail="switching the contract's tokens")
        if contract.token_kind is None:
            raise TokenApplicationRefused(detail="this contract uses no one-time password")
        current = "to_soft" if contract.token_kind is TokenKind.SOFT else "to_hard"
        if kind == current:
            raise TokenApplicationRefused(detail=f"the contract already uses {kind[3:]} tokens")
        if kind == "to_hard" and contract.smartphone_auth:
            raise TokenApplicationRefused(
                detail="smartphone authentication needs soft tokens (002 第12条2)")
    elif not _has_phone(session, actor.user_id):
        raise TokenApplicationRefused(detail="no smartphone is registered")
    already = session.execute(select(TokenApplication.id).where(
        TokenApplication.contract_id == contract.id, TokenApplication.kind == kind,
        TokenApplication.state == PENDING,
        TokenApplication.user_id == actor.user_id if kind == "deregister_phone" else true())
    ).first()
    if already is not None:
        raise TokenApplicationRefused(detail="the same application is pending")
    row = TokenApplication(contract_id=contract.id, user_id=actor.user_id, kind=kind,
                           state=PENDING, note=note[:200], created_at=clock.now())
    session.add(row)
    session.flush()
    record(session, actor=actor.label, action="corporate.token_applied",
           subject_type="token_application", subject_id=row.id, data={"kind": kind})
    _mail(session, row, "corporate.token_applied")
    return row


def list_for(session: Session, actor: Actor) -> list[TokenApplication]:
    """A manager sees the contract's applications; another user only its own."""
    _contract(session, actor)
    stmt = select(TokenApplication).where(TokenApplication.contract_id == actor.contract_id)
    if not entitlements.is_manager(session, actor):
        stmt = stmt.where(TokenApplication.user_id == actor.user_id)
    return list(session.execute(stmt.order_by(TokenApplication.id.desc()).limit(50)).scalars())


def withdraw(session: Session, actor: Actor, application_id: int) -> TokenApplication:
    row = session.get(TokenApplication, application_id)
    if row is None or row.contract_id != actor.contract_id or (
            row.user_id != actor.user_id and not entitlements.is_manager(session, actor)):
        raise NotFound(detail=f"application {application_id}")
    if row.state != PENDING:
        raise TokenApplicationRefused(detail=row.state)
    row.state, row.decided_at, row.decided_by = WITHDRAWN, clock.now(), actor.label[:40]
    session.flush()
    record(session, actor=actor.label, action="corporate.token_withdrawn",
           subject_type="token_application", subject_id=row.id)
    return row


def pending(session: Session) -> list[TokenApplication]:
    """The bank's queue of applications to carry out."""
    return list(session.execute(select(TokenApplication).where(
        TokenApplication.state == PENDING).order_by(TokenApplication.id)).scalars())


def carry_out(session: Session, payload: Mapping[str, Any], *, actor: str,
              request_id: int) -> str:
    """The four-eyes action: switch the contract's token kind (every user's token ends; each
    registers the new kind, CRED-3) or remove the user's soft token and approval key."""
    row = session.get(TokenApplication, int(payload["application_id"]), with_for_update=True)
    if row is None or row.state != PENDING:
        raise TokenApplicationRefused(detail="no such pending application")
    if row.kind == "deregister_phone":
        if any(t.kind is TokenKind.SOFT for t in auth_repo.tokens_of_user(
                session, row.user_id, (TokenState.ACTIVE, TokenState.PENDING))):
            tokens.deregister_soft_token(session, user_id=row.user_id, actor=actor)
        removed = phone_approvals.deregister_device(session, user_id=row.user_id, actor=actor)
        outcome = f"phone deregistered ({removed} approval key(s))"
    else:
        to = TokenKind.SOFT if row.kind == "to_soft" else TokenKind.HARD
        ended = tokens.switch_token_kind(session, contract_id=row.contract_id, to=to,
                                         actor=actor)
        outcome = f"contract switched to {to.value} tokens ({ended} token(s) ended)"
    row.state, row.decided_at, row.decided_by = DONE, clock.now(), actor[:40]
    session.flush()
    record(session, actor=actor, action="corporate.token_application_done",
           subject_type="token_application", subject_id=row.id,
           data={"kind": row.kind, "request": request_id, "outcome": outcome})
    _mail(session, row, "corporate.token_application_done")
    return outcome


def _check(payload: Mapping[str, Any]) -> None:
    if "application_id" not in payload:
        raise ValidationFailed(detail="payload needs: application_id")


register_action(ACTION, ActionSpec(
    carry_out, frozenset({OperatorRole.TELLER, OperatorRole.SECURITY}),
    frozenset({OperatorRole.SECURITY}), _check, summary=lambda out: out))


def _mail(session: Session, row: TokenApplication, template: str) -> None:
    user = session.get(AuthUser, row.user_id)
    if user is None:
        return
    ja = KINDS[row.kind]
    en = catalogue.tr("en", ja, f"token_application.{row.kind}")
    notify(session, user, template, dedupe_key=f"{template}:{row.id}",
           reference=f"K{row.id:010d}", what_ja=ja, what_en=en)
