"""E-mail notices (NOTIF-1) and bounces (CTR-2).

Notices are queued with the change that calls for them (outbox topic ``email.send``, payload
``{"to", "template", "user_id", "data"}``) and sent after the commit by the batch runner.
Sending renders the template and hands the mail to the SMTP relay; the relay's acceptance
counts as delivery (NOTIF-1) and is written to the audit log. A permanent refusal is recorded
as a bounce and not retried; a temporary failure raises, so the outbox tries again later.

Functions take the caller's session and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.service import record
from kinko.config import get_settings
from kinko.notifications import mailer
from kinko.notifications import repository as repo
from kinko.notifications.errors import InvalidAddress
from kinko.notifications.templates import render
from kinko.outbox.service import enqueue

EMAIL_TOPIC = "email.send"
ACTOR = "system:mail"


def normal_address(address: str) -> str:
    """The form bounces are kept under: trimmed and lower-cased."""
    return address.strip().lower()


def queue_email(session: Session, *, to: str, template: str, data: dict[str, Any],
                user_id: int | None = None, dedupe_key: str | None = None) -> None:
    """Queue a notice in the caller's transaction; it is sent only if that commits.

    The template is rendered here the first time it meets data of this shape (its fields
    and their types), so an unknown name or missing data fails the caller now rather than a
    batch run later; a shape that rendered once is not rendered again for every transfer.
    """
    if not mailer.valid_address(to):
        raise InvalidAddress(detail=repr(to))
    shape = (template, tuple(sorted((k, type(v).__name__) for k, v in data.items())))
    if shape not in _RENDERED_SHAPES:
        render(template, data)
        if len(_RENDERED_SHAPES) >= _SHAPES_KEPT:
            _RENDERED_SHAPES.clear()
        _RENDERED_SHAPES.add(shape)
    enqueue(session, EMAIL_TOPIC,
            {"to": to, "template": template, "user_id": user_id, "data": data},
            dedupe_key=dedupe_key)


# (template, its data's fields and their types) that rendered: a few dozen in practice.
_RENDERED_SHAPES: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
_SHAPES_KEPT = 2_000


@dataclass(frozen=True, slots=True)
class SendResult:
    delivered: bool
    message_id: str | None = None
    bounce_reason: str | None = None


def send_queued(session: Session, payload: dict[str, Any]) -> SendResult:
    """Carry out one ``email.send`` message.

    An unknown template or missing data raises (a domain error recorded on the outbox row)
    and is retried with backoff like any failure: a rolling deployment may queue a notice
    that an older worker does not know yet, and the newer worker then sends it.
    """
    to = str(payload["to"])
    template = str(payload["template"])
    user_id = payload.get("user_id")
    mail = render(template, payload.get("data") or {})
    settings = get_settings()
    message = mailer.build_message(to=to, subject=mail.subject, body=mail.body,
                                   settings=settings)
    subject_type, subject_id = ("user", user_id) if user_id is not None else ("email", to)
    try:
        mailer.send(message, settings)
    except mailer.PermanentFailure as exc:
        record_bounce(session, to, exc.reason)
        record(session, actor=ACTOR, action="notice.bounced", subject_type=subject_type,
               subject_id=subject_id, data={"to": to, "template": template,
                                            "reason": exc.reason})
        return SendResult(delivered=False, bounce_reason=exc.reason)
    message_id = str(message["Message-ID"])
    repo.clear_bounce(session, normal_address(to), clock.now())
    record(session, actor=ACTOR, action="notice.sent", subject_type=subject_type,
           subject_id=subject_id, data={"to": to, "template": template,
                                        "message_id": message_id})
    return SendResult(delivered=True, message_id=message_id)


def record_bounce(session: Session, address: str, reason: str) -> None:
    """Count a permanent delivery failure for ``address`` (CTR-2): from the sender, an
    operator, or a delivery-status notification that came back later."""
    address = normal_address(address)
    if not address:
        raise InvalidAddress(detail="empty address")
    repo.add_bounce(session, address, (reason or "bounced")[:500], clock.now())


def bounced_since(session: Session, address: str) -> datetime | None:
    """Since when mail to ``address`` has been undeliverable without a single success, or
    None if it is deliverable. CTR-2 allows termination after three months of this."""
    bounce = repo.open_bounce(session, normal_address(address))
    return None if bounce is None else bounce.first_bounced_at


@dataclass(frozen=True, slots=True)
class Bounce:
    address: str
    first_bounced_at: datetime
    last_bounced_at: datetime
    last_reason: str
    count: int


def undeliverable_since(session: Session, moment: datetime) -> list[Bounce]:
    """Addresses undeliverable since ``moment`` or earlier (e.g. three months ago, CTR-2)."""
    return [Bounce(b.address, b.first_bounced_at, b.last_bounced_at, b.last_reason, b.count)
            for b in repo.bounces_begun_by(session, moment)]


@dataclass(frozen=True, slots=True)
class MailboxEntry:
    id: int
    received_at: datetime
    mail_from: str
    to: list[str]
    subject: str
    message_id: str
    body: str


def mailbox(session: Session, *, limit: int = 50, offset: int = 0, to: str | None = None
            ) -> list[MailboxEntry]:
    """What the demo SMTP sink received, newest first."""
    limit = max(1, min(int(limit), 500))
    offset = max(0, int(offset))
    return [MailboxEntry(m.id, m.received_at, m.mail_from,
                         [a for a in m.rcpt_to.split(",") if a], m.subject, m.message_id,
                         m.body)
            for m in repo.recent_mail(session, limit=limit, offset=offset, to=to)]
