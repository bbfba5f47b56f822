"""The outbox table: after-commit side effects and due work, one table.

A row is written in the same transaction as the change that calls for it, with the moment it
becomes due (now, for side effects such as e-mail; a value date for future-dated work). The
runner claims due rows with FOR UPDATE SKIP LOCKED and handles each in its own transaction.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kinko.db.base import Base, BigId, UtcDateTime, value_enum


class OutboxState(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"   # gave up after max attempts; shown to operators


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "state", "due_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(60))
    payload: Mapped[str] = mapped_column(Text)
    # Deduplicates work scheduled twice (e.g. the same transfer's execution).
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    state: Mapped[OutboxState] = mapped_column(
        value_enum(OutboxState, 10),
        default=OutboxState.PENDING,
    )
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
