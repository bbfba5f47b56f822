"""Every notifications query, and only queries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, insert, literal, select, update
from sqlalchemy.orm import Session

from kinko.db.base import insert_ignoring_conflicts
from kinko.notifications.models import EmailBounce, MailboxMessage


def add_bounce(session: Session, address: str, reason: str, at: datetime) -> None:
    """Count a bounce: start a run if none is open, else extend it. One statement each way,
    so two workers bouncing the same address at once both count."""
    if insert_ignoring_conflicts(session, EmailBounce, {
        "address": address, "first_bounced_at": at, "last_bounced_at": at,
        "last_reason": reason, "count": 1, "cleared_at": None,
    }):
        return
    cleared = EmailBounce.cleared_at.is_not(None)
    session.execute(
        update(EmailBounce).where(EmailBounce.address == address).values(
            # SET expressions read the row as it was, on both databases.
            # A literal inside CASE does not take the column's type by itself: without it the
            # moment would skip UtcDateTime and be stored in Japan time on SQLite.
            first_bounced_at=case((cleared, literal(at, EmailBounce.first_bounced_at.type)),
                                  else_=EmailBounce.first_bounced_at),
            count=case((cleared, 1), else_=EmailBounce.count + 1),
            last_bounced_at=at, last_reason=reason, cleared_at=None,
        ).execution_options(synchronize_session=False))


def clear_bounce(session: Session, address: str, at: datetime) -> None:
    session.execute(
        update(EmailBounce)
        .where(EmailBounce.address == address, EmailBounce.cleared_at.is_(None))
        .values(cleared_at=at).execution_options(synchronize_session=False))


def open_bounce(session: Session, address: str) -> EmailBounce | None:
    return session.execute(select(EmailBounce).where(
        EmailBounce.address == address, EmailBounce.cleared_at.is_(None))).scalar_one_or_none()


def bounces_begun_by(session: Session, moment: datetime) -> list[EmailBounce]:
    return list(session.execute(select(EmailBounce).where(
        EmailBounce.cleared_at.is_(None), EmailBounce.first_bounced_at <= moment,
    ).order_by(EmailBounce.first_bounced_at)).scalars())


def store_mail(session: Session, values: dict[str, object]) -> None:
    session.execute(insert(MailboxMessage).values(**values))


def recent_mail(session: Session, *, limit: int, offset: int = 0, to: str | None = None
                ) -> list[MailboxMessage]:
    stmt = select(MailboxMessage)
    if to:
        stmt = stmt.where(MailboxMessage.rcpt_to.contains(to, autoescape=True))
    stmt = stmt.order_by(MailboxMessage.received_at.desc(), MailboxMessage.id.desc())
    return list(session.execute(stmt.limit(limit).offset(offset)).scalars())
