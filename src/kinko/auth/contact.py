"""The e-mail address notices go to (NOTIF-1, 002 第13条): shown and changed by the customer.

A change is a settings change: the web layer asks the product's step-up first (AUTH-3). The
notice of the change goes to the old address as well as the new one, so that a customer whose
session was taken over hears of it where they still read their mail.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy.orm import Session

from kinko import clock
from kinko.auth.effects import audit, email_address, user_actor
from kinko.auth.models import AuthUser
from kinko.notifications import repository as notification_repo
from kinko.notifications.errors import InvalidAddress
from kinko.notifications.mailer import valid_address
from kinko.notifications.service import normal_address, queue_email
from kinko.parties.models import Customer


@dataclass(frozen=True)
class Contact:
    address: str | None
    bounced: bool        # the last mail to it came back (CTR-2): the customer should change it


def contact_of(session: Session, user: AuthUser) -> Contact:
    address = email_address(session, user)
    bounced = (address is not None
               and notification_repo.open_bounce(session, normal_address(address)) is not None)
    return Contact(address, bounced)


def check_address(address: str) -> str:
    address = address.strip()
    if not valid_address(address):
        raise InvalidAddress(detail=address[:60])
    return address


def change_email(session: Session, user: AuthUser, address: str) -> str:
    """Change the address notices go to; the old and the new address hear of it."""
    new = check_address(address)
    old = email_address(session, user)
    if user.email:   # a corporate user's own address
        user.email = new
    else:
        customer = session.get(Customer, user.customer_id)
        assert customer is not None
        customer.email = new
    now = clock.now()
    audit(session, actor=user_actor(user), action="auth.email_changed", user=user)
    for to in {a for a in (old, new) if a}:
        queue_email(session, to=to, template="auth.settings_changed", user_id=user.id,
                    data={"at": now.isoformat(), "setting": "メールアドレス / e-mail address"},
                    dedupe_key=f"auth.email_changed:{user.id}:{now.timestamp():.0f}:"
                               f"{hashlib.sha256(to.encode()).hexdigest()[:16]}")
    return new
