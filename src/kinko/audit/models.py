"""Audit tables.

Appending an event is a plain INSERT with no hash, so it never serialises transactions on a
chain head (DESIGN rule 7). The sealer later links events in the order it finds them: for each
it appends one row to ``audit_links`` — its position, the previous link and an HMAC over both
and the event's content — under a lock on the single ``audit_chain_head`` row. An event is
never rewritten: sealing only appends narrow rows (written with COPY on PostgreSQL), which is
what makes it fast. An event committed late (lower id, later commit) is simply sealed in a
later run (see ``AuditChainHead.floor_id``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kinko.db.base import Base, BigId, UtcDateTime


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_subject", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(80))       # "customer:12", "operator:3", "system"
    action: Mapped[str] = mapped_column(String(60))      # "ledger.post", "account.state"
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(60))
    data: Mapped[str] = mapped_column(Text)              # canonical JSON


class AuditLink(Base):
    """The chain: the event at position ``seq``, its predecessor's link and its own
    (HMAC over the predecessor, the position and the event's content). Append-only."""

    __tablename__ = "audit_links"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # No foreign key: deleting a sealed event must be possible to *detect*, not impossible to
    # attempt, and COPY then checks nothing per row beyond the two indexes.
    event_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(Base):
    """The single row the sealer locks; it also pins the tail so deleting it is detected."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    head_mac: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Every event with an id up to floor_id is linked (or was never committed): the sealer
    # looks for unlinked events above it only, so its search stays as small as the backlog.
    floor_id: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # On PostgreSQL, ids up to pending_id may still be committed by the transactions listed in
    # pending_holders (virtual transaction ids that were inserting audit events); once none of
    # them is alive, the floor may rise to pending_id. See service._settled_bound.
    pending_id: Mapped[int | None] = mapped_column(BigInteger)
    pending_holders: Mapped[str | None] = mapped_column(Text)
