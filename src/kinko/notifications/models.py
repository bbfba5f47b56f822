"""Notification tables (NOTIF-1, CTR-2).

``notification_bounces`` keeps, per address, the current run of permanent delivery failures:
when it began, the last one, why, and how many. A later successful delivery ends the run
(``cleared_at``), so "undeliverable for three months" (CTR-2) means three months without a
single mail getting through.

``notification_mailbox`` is the demo and test SMTP sink's mailbox: what the outside world
received. It is not the bank's record of notices (that is the audit log) and production,
which sends to a real relay, leaves it empty.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kinko.db.base import Base, BigId, UtcDateTime


class EmailBounce(Base):
    __tablename__ = "notification_bounces"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    address: Mapped[str] = mapped_column(String(254), unique=True)   # lower-cased
    first_bounced_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_bounced_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_reason: Mapped[str] = mapped_column(String(500))
    count: Mapped[int] = mapped_column(default=1)
    # Set when a mail to the address is delivered again; the next bounce starts a new run.
    cleared_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class MailboxMessage(Base):
    __tablename__ = "notification_mailbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    mail_from: Mapped[str] = mapped_column(String(320))
    rcpt_to: Mapped[str] = mapped_column(Text)          # envelope recipients, comma-separated
    subject: Mapped[str] = mapped_column(String(500))
    message_id: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)             # the decoded text part
    raw: Mapped[str] = mapped_column(Text)              # the message as received
