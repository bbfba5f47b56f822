"""The audit events of one transaction, written together at its end.

A confirmed transfer records four or five events (step-up, accepted, executed …); written one
by one they were a fifth of the request's statements. ``record`` puts each event on its
session's write-behind buffer (:mod:`kinko.db.write_behind`) instead: the events go out in one
``INSERT … VALUES (…), (…)`` — with the transaction's other buffered rows, on PostgreSQL in
the same statement — just before the commit, before any statement of the transaction that
reads ``audit_events``, or when :func:`flush` is called; a long batch on PostgreSQL as one
COPY. Savepoints keep them exactly as they would have kept one INSERT per event.

Events keep the order they were recorded in (ids are given in VALUES order), and the sealer
links whatever has committed, so the chain is unchanged by the batching.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kinko.audit.models import AuditEvent
from kinko.db import write_behind
from kinko.db.base import table_of

_TABLE = table_of(AuditEvent)
# From this many events on (PostgreSQL), one COPY: a bulk chunk's clearing hand-over records
# one event per payee, and a 500-row INSERT was compiled and split by the driver every time.
write_behind.copy_from(_TABLE, 100)


def add(session: Session, row: dict[str, Any]) -> None:
    """An event (the columns of :func:`kinko.audit.service.record_values`) to write."""
    write_behind.add(session, _TABLE, row)


def pending(session: Session) -> int:
    """How many events wait to be written (tests)."""
    return write_behind.pending(session, _TABLE)


def flush(session: Session) -> None:
    """Write the buffered events (and the transaction's other buffered rows) now."""
    write_behind.flush(session)
