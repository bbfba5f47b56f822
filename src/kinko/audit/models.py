"""Audit tables.

Appending an event is a plain INSERT with no hash, so it never serialises transactions on a
chain head (DESIGN rule 7). The sealer later links events in the order it finds them: it gives
each a ``chain_seq`` and an HMAC over the previous link and the event's content, under a lock
on the single ``audit_chain_head`` row. An event committed late (lower id, later commit) is
simply sealed in the next run.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from kinko.db.base import Base, BigId, UtcDateTime


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        # Only the events still waiting for the sealer, in id order: the index stays as small
        # as the backlog however long the sealed chain grows (chain_seq has its own unique one).
        Index("ix_audit_events_unsealed_id", "id", postgresql_where=text("chain_seq IS NULL"),
              sqlite_where=text("chain_seq IS NULL")),
        Index("ix_audit_events_subject", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(80))       # "customer:12", "operator:3", "system"
    action: Mapped[str] = mapped_column(String(60))      # "ledger.post", "account.state"
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(60))
    data: Mapped[str] = mapped_column(Text)              # canonical JSON
    chain_seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class AuditChainHead(Base):
    """The single row the sealer locks; it also pins the tail so deleting it is detected."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    head_mac: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
