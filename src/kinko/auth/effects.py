"""Audit events and e-mail notices of authentication, both in the caller's transaction.

An authentication that fails still commits its audit event and its counter (the services
return failures as results instead of raising, so the boundary commits them). E-mail goes
through the outbox and leaves only after the commit (DESIGN rules 4 and 7, NOTIF-1).
No secret, hash or token is ever put in an event or a mail.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kinko.audit.service import record
from kinko.auth import notices as _notices  # noqa: F401 - registers the auth-only notices
from kinko.auth.models import AuthUser
from kinko.notifications.errors import InvalidAddress
from kinko.notifications.service import EMAIL_TOPIC, queue_email
from kinko.parties.models import Customer

__all__ = ["EMAIL_TOPIC", "audit", "email_address", "notify", "user_actor"]


def user_actor(user: AuthUser | int) -> str:
    return f"user:{user if isinstance(user, int) else user.id}"


def audit(session: Session, *, actor: str, action: str, user: AuthUser | int | None = None,
          subject_type: str = "auth_user", subject_id: str | int | None = None,
          **data: Any) -> None:
    if subject_id is None:
        subject_id = "" if user is None else (user if isinstance(user, int) else user.id)
    record(session, actor=actor, action=action, subject_type=subject_type,
           subject_id=subject_id, data=data)


def email_address(session: Session, user: AuthUser) -> str | None:
    """The user's own address (corporate users each have one), else the customer's."""
    if user.email:
        return user.email
    customer = session.get(Customer, user.customer_id)
    return customer.email if customer is not None else None


def notify(session: Session, user: AuthUser, template: str, *, dedupe_key: str | None = None,
           **data: Any) -> None:
    """Queue an e-mail notice (lockout, block, login, credential change …) for ``user``."""
    address = email_address(session, user)
    if address is None:
        # Nothing to send to; the audit event of the same change still records it.
        return
    try:
        queue_email(session, to=address, template=template, data=data, user_id=user.id,
                    dedupe_key=dedupe_key)
    except InvalidAddress:
        # A bad stored address must not undo a lockout or a report; the event says so.
        record(session, actor="system", action="auth.notice_skipped", subject_type="auth_user",
               subject_id=user.id, data={"template": template, "reason": "invalid address"})
