"""Who may do what on a contract (PRD-4), checked in the service layer.

A corporate contract has one master user (マスターユーザ), admin users (管理者ユーザ) and general
users (一般ユーザ). Until the full corporate model (per-user permissions, approvals) lands, the
rule is: contract-wide settings, per-user limits and other users' instructions belong to the
master and admin users; a general user acts on its own instructions only. A retail holder is
the only user of its contract and may do everything on it.

The role is read from the user row, which the request has already loaded in its session, so a
check costs no statement; the check on another user's instruction runs only when the
instruction is not the caller's own.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from kinko.auth.errors import AuthError
from kinko.auth.models import AuthUser, UserRole
from kinko.instructions.service import Actor

# The roles that manage a contract: its settings and every user's instructions.
MANAGING_ROLES = frozenset({UserRole.HOLDER, UserRole.MASTER, UserRole.ADMIN})


class RoleNotAllowed(AuthError):
    code = "AUTH_ROLE_NOT_ALLOWED"
    status = 403
    message_ja = "この操作はマスターユーザまたは管理者ユーザのみご利用いただけます。"


def role_of(session: Session, actor: Actor) -> UserRole:
    user = session.get(AuthUser, actor.user_id)
    if user is None or user.contract_id != actor.contract_id:
        raise RoleNotAllowed(detail="unknown user")
    return user.role


def manages_contract(session: Session, actor: Actor) -> bool:
    return role_of(session, actor) in MANAGING_ROLES


def require_manager(session: Session, actor: Actor, *, what: str) -> None:
    """Refuse a general user: ``what`` is for the master and admin users (PRD-4)."""
    if not manages_contract(session, actor):
        raise RoleNotAllowed(detail=what)


def require_own_or_manager(session: Session, actor: Actor, owner_user_id: int, *,
                           what: str) -> None:
    """A user may act on its own instruction; another user's needs a managing role."""
    if owner_user_id != actor.user_id:
        require_manager(session, actor, what=what)


def visible_user(session: Session, actor: Actor) -> int | None:
    """Whose instructions the actor may see: None for every user of the contract."""
    return None if manages_contract(session, actor) else actor.user_id
