"""Loading users with the rules that apply to them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kinko.auth import repository as repo
from kinko.auth.errors import UserNotFound
from kinko.auth.models import AuthContract, AuthUser
from kinko.auth.policy import AuthRules, rules_for


def get_user(session: Session, user_id: int) -> AuthUser:
    found = repo.user(session, user_id)
    if found is None:
        raise UserNotFound(detail=str(user_id))
    return found


def contract_of(session: Session, user: AuthUser) -> AuthContract:
    found = repo.contract(session, user.contract_id)
    if found is None:  # pragma: no cover - a foreign key guarantees it
        raise UserNotFound(detail=f"contract of user {user.id}")
    return found


def rules_for_user(session: Session, user: AuthUser) -> AuthRules:
    """The rules of the user's product and course, in force now."""
    return rules_for(user.product, contract_of(session, user).course)
