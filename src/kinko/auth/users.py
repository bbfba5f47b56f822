"""Loading users with the rules that apply to them."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from kinko.auth import repository as repo
from kinko.auth.errors import UserNotFound
from kinko.auth.models import AuthContract, AuthUser
from kinko.auth.policy import AuthRules, rules_for

_PINNED = repo.PINNED


def _pin(session: Session, obj: object) -> None:
    """Keep ``obj`` referenced for as long as the session lives: the identity map holds
    objects only weakly, and the user and contract are asked for again and again within one
    request (rules, refusals, notices), each time a SELECT if they were let go."""
    session.info.setdefault(_PINNED, []).append(obj)


@event.listens_for(Session, "after_transaction_end")
def _unpin(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        # What the transaction read alongside (kept for its own later reads) is forgotten
        # with it.
        for key in (_PINNED, repo.PRELOADED_SECRETS, repo.PRELOADED_TOKENS,
                    repo.PRELOADED_CARDS, repo.THROTTLE_SEEN):
            session.info.pop(key, None)


def get_user(session: Session, user_id: int) -> AuthUser:
    found = repo.user(session, user_id)
    if found is None:
        raise UserNotFound(detail=str(user_id))
    return found


def contract_of(session: Session, user: AuthUser) -> AuthContract:
    found = repo.contract(session, user.contract_id)
    if found is None:  # pragma: no cover - a foreign key guarantees it
        raise UserNotFound(detail=f"contract of user {user.id}")
    _pin(session, found)
    return found


def rules_for_user(session: Session, user: AuthUser) -> AuthRules:
    """The rules of the user's product and course, in force now."""
    return rules_for(user.product, contract_of(session, user).course)
