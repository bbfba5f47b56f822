"""The audit events of one transaction, written together in one multi-row INSERT.

A confirmed transfer records four or five events (step-up, accepted, executed …); written one
by one they were a fifth of the request's statements. ``record`` puts each event on its
session's buffer instead, and the buffer is written as one ``INSERT … VALUES (…), (…)`` (a
long batch on PostgreSQL as one COPY):

- just before the session commits (``before_commit``), so the events commit with the work
  they describe, in the same transaction, as before;
- before any statement run through the session that reads ``audit_events`` (so a query in
  the same transaction still sees its own events), and when :func:`flush` is called;
- a savepoint that is rolled back drops the events recorded inside it, exactly as it would
  have undone their INSERTs; events recorded before it but written inside it (the INSERT
  that the rollback undid) go back on the buffer; a rolled-back transaction drops them all.

Events keep the order they were recorded in (ids are given in VALUES order), and the sealer
links whatever has committed, so the chain is unchanged by the batching.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from itertools import count
from typing import Any

from sqlalchemy import TextClause, bindparam, event, text
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from kinko.audit.models import AuditEvent
from kinko.db.base import table_of
from kinko.db.copy import copy_rows

_KEY = "kinko.audit.buffer"
_AUDIT_TABLE_NAME = AuditEvent.__tablename__
# From this many events on (PostgreSQL), one COPY instead of INSERTs.
_COPY_FROM = 100
_COLUMNS = ("occurred_at", "actor", "action", "subject_type", "subject_id", "data")


@dataclass
class _Event:
    seq: int
    owner: SessionTransaction | None   # the savepoint it was recorded in (None: outside any)
    row: dict[str, Any]


@dataclass
class _Buffer:
    pending: list[_Event] = field(default_factory=list)
    # Events written while a savepoint was open: undone if that savepoint is rolled back.
    written: dict[SessionTransaction, list[_Event]] = field(default_factory=dict)
    rolled_back: set[SessionTransaction] = field(default_factory=set)
    order: Any = field(default_factory=count)


def _buffer(session: Session) -> _Buffer:
    found: _Buffer | None = session.info.get(_KEY)
    if found is None:
        found = session.info[_KEY] = _Buffer()
    return found


def _parent_savepoint(transaction: SessionTransaction) -> SessionTransaction | None:
    parent = transaction.parent
    return parent if parent is not None and parent.nested else None


def add(session: Session, row: dict[str, Any]) -> None:
    b = _buffer(session)
    b.pending.append(_Event(next(b.order), session.get_nested_transaction(), row))


def pending(session: Session) -> int:
    """How many events wait to be written (tests)."""
    b: _Buffer | None = session.info.get(_KEY)
    return 0 if b is None else len(b.pending)


def flush(session: Session) -> None:
    """Write the buffered events now, in one statement."""
    b: _Buffer | None = session.info.get(_KEY)
    if b is None or not b.pending:
        return
    events, b.pending = b.pending, []
    savepoint = session.get_nested_transaction()
    if savepoint is not None:
        b.written.setdefault(savepoint, []).extend(events)
    if len(events) >= _COPY_FROM and session.get_bind().dialect.name == "postgresql":
        _copy(session, events)
        return
    connection = session.connection()   # an INSERT needs none of the ORM's execution path
    for start in range(0, len(events), _CHUNK):
        rows = events[start:start + _CHUNK]
        params = {f"{name}{i}": e.row[name] for i, e in enumerate(rows) for name in _COLUMNS}
        connection.execute(_insert_statement(len(rows)), params)


# Rows per INSERT: far below SQLite's bound-parameter limit (six columns a row).
_CHUNK = 500


@cache
def _insert_statement(rows: int) -> TextClause:
    """``INSERT … VALUES (…), (…)`` for ``rows`` events, built once per row count: SQLAlchemy
    cannot cache a multi-row VALUES and compiled it again on every commit (as costly as the
    rest of the commit); a text statement is cached, and its placeholders are typed like the
    columns (the time is stored as UTC)."""
    values = ", ".join("(" + ", ".join(f":{name}{i}" for name in _COLUMNS) + ")"
                       for i in range(rows))
    occurred = table_of(AuditEvent).c.occurred_at.type
    sql = f"INSERT INTO {_AUDIT_TABLE_NAME} ({', '.join(_COLUMNS)}) VALUES {values}"  # noqa: S608
    return text(sql).bindparams(*(bindparam(f"occurred_at{i}", type_=occurred)
                                  for i in range(rows)))


def _copy(session: Session, events: list[_Event]) -> None:
    """A long batch (a bulk chunk's clearing hand-over records one event per payee) as one
    COPY in the session's transaction: rows keep their order, so their ids do too. A
    500-row INSERT … VALUES was compiled by SQLAlchemy and split by the driver every time."""
    copy_rows(session, _AUDIT_TABLE_NAME, _COLUMNS, [[e.row[c] for c in _COLUMNS] for e in events])


def _froms_read_audit(statement: Any) -> bool:
    final_froms = getattr(statement, "get_final_froms", None)
    if final_froms is not None:
        tables = list(final_froms())
    else:
        table = getattr(statement, "table", None)
        tables = [] if table is None else [table]
    return any(getattr(t, "name", None) == _AUDIT_TABLE_NAME for t in tables)


# Statement shape (SQLAlchemy's cache key) → whether it reads ``audit_events``. Building a
# statement's FROM list (``get_final_froms``) costs about as much as compiling it, and it ran
# for every SELECT of a request that had recorded an event; the cache key is computed for the
# compiled-statement cache anyway and memoized on the statement, so a shape is examined once.
_READS_BY_SHAPE: dict[Any, bool] = {}
_SHAPES_KEPT = 5_000    # cleared past this: the hot path has a few dozen shapes


def _reads_audit(state: ORMExecuteState) -> bool:
    statement = state.statement
    generate = getattr(statement, "_generate_cache_key", None)
    cache_key = generate() if generate is not None else None
    if cache_key is None:   # a statement SQLAlchemy cannot cache: examine it every time
        return _froms_read_audit(statement)
    shape = cache_key.key
    found = _READS_BY_SHAPE.get(shape)
    if found is None:
        if len(_READS_BY_SHAPE) >= _SHAPES_KEPT:
            _READS_BY_SHAPE.clear()
        found = _READS_BY_SHAPE[shape] = _froms_read_audit(statement)
    return found


@event.listens_for(Session, "do_orm_execute")
def _before_reading(state: ORMExecuteState) -> None:
    b: _Buffer | None = state.session.info.get(_KEY)
    if b is not None and b.pending and state.is_select and _reads_audit(state):
        flush(state.session)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.get_nested_transaction() is None:   # the transaction itself, not a savepoint
        flush(session)


@event.listens_for(Session, "after_rollback")
def _savepoint_rolled_back(session: Session) -> None:
    savepoint = session.get_nested_transaction()
    b: _Buffer | None = session.info.get(_KEY)
    if savepoint is None or b is None:
        return
    b.rolled_back.add(savepoint)
    # Recorded inside: gone, as their INSERT would be. Recorded before the savepoint but
    # written inside it: the database undid that INSERT, so they wait to be written again.
    undone = [e for e in b.written.pop(savepoint, []) if e.owner is not savepoint]
    kept = [e for e in b.pending if e.owner is not savepoint]
    b.pending = sorted(undone + kept, key=lambda e: e.seq)


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    b: _Buffer | None = session.info.get(_KEY)
    if b is None:
        return
    if not transaction.nested:
        if transaction.parent is None:
            session.info.pop(_KEY, None)   # committed (written) or rolled back (dropped)
        return
    if transaction in b.rolled_back:
        b.rolled_back.discard(transaction)
        return
    # Released: its events now belong to the enclosing savepoint (or to the transaction),
    # and so does what was written inside it.
    parent = _parent_savepoint(transaction)
    for e in b.pending:
        if e.owner is transaction:
            e.owner = parent
    written = b.written.pop(transaction, [])
    for e in written:
        if e.owner is transaction:
            e.owner = parent
    if parent is not None:
        b.written.setdefault(parent, []).extend(written)
