"""Rows a transaction writes at its end, all in one statement (write-behind).

A request's audit events, the notice it queues in the outbox and the card challenge it hands
out need nothing back from the database (no id is read, no constraint can refuse them), and
written one by one they were a quarter of a confirmed transfer's statements. ``add`` puts such
a row on its session's buffer instead, and the buffer is written:

- just before the session commits (``before_commit``), so the rows commit with the work they
  belong to, in the same transaction, as before;
- before any statement run through the session that touches one of the buffered rows' tables
  (so a query in the same transaction still sees its own rows), and when :func:`flush` is
  called;
- a savepoint that is rolled back drops the rows added inside it, exactly as it would have
  undone their INSERTs; rows added before it but written inside it (the INSERT that the
  rollback undid) go back on the buffer; a rolled-back transaction drops them all.

On PostgreSQL the buffered rows of every table go out as one statement (data-modifying CTEs:
``WITH w0 AS (INSERT INTO outbox …) INSERT INTO audit_events …``); SQLite has no such CTEs
and takes one INSERT per table. Rows keep the order they were added in within their table (ids
are given in VALUES order). A table whose owner allows it (:func:`copy_from`) takes a long
batch as one COPY on PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from itertools import count
from typing import Any

from sqlalchemy import Table, TextClause, bindparam, event, text
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from kinko.db.copy import copy_rows

_KEY = "kinko.db.write_behind"
# Rows per INSERT on SQLite (and for a long batch on PostgreSQL): far below SQLite's
# bound-parameter limit.
_CHUNK = 500
# A table's group of at most this many rows joins the one statement on PostgreSQL.
_MERGED_UP_TO = 99


@dataclass
class _Row:
    seq: int
    owner: SessionTransaction | None   # the savepoint it was added in (None: outside any)
    table: Table
    values: dict[str, Any]


@dataclass
class _Buffer:
    pending: list[_Row] = field(default_factory=list)
    # Rows written while a savepoint was open: undone if that savepoint is rolled back.
    written: dict[SessionTransaction, list[_Row]] = field(default_factory=dict)
    rolled_back: set[SessionTransaction] = field(default_factory=set)
    order: Any = field(default_factory=count)


# Table name → from how many rows PostgreSQL takes them as one COPY (tables whose values COPY
# can take as they are; the others are always INSERTed).
_COPY_FROM: dict[str, int] = {}
# Tables whose buffered rows skip a row that would break a unique key.
_IGNORING_CONFLICTS: set[str] = set()


def copy_from(table: Table, rows: int) -> None:
    """Let ``table``'s long batches (``rows`` and more) go out as one COPY on PostgreSQL."""
    _COPY_FROM[table.name] = rows


def ignore_conflicts(table: Table) -> None:
    """Let ``table``'s buffered rows skip a row that would break a unique key (``ON CONFLICT
    DO NOTHING``): e.g. an outbox message under a dedupe key already queued. For a table
    whose rows can conflict only where skipping is what the caller wants."""
    _IGNORING_CONFLICTS.add(table.name)


def _buffer(session: Session) -> _Buffer:
    found: _Buffer | None = session.info.get(_KEY)
    if found is None:
        found = session.info[_KEY] = _Buffer()
    return found


def _parent_savepoint(transaction: SessionTransaction) -> SessionTransaction | None:
    parent = transaction.parent
    return parent if parent is not None and parent.nested else None


def add(session: Session, table: Table, values: dict[str, Any]) -> None:
    """Write ``values`` into ``table`` at the end of the session's transaction (or earlier,
    see the module). Every row of one table must name the same columns."""
    b = _buffer(session)
    b.pending.append(_Row(next(b.order), session.get_nested_transaction(), table, values))


def pending(session: Session, table: Table | None = None) -> int:
    """How many rows (of ``table``, or of any table) wait to be written."""
    b: _Buffer | None = session.info.get(_KEY)
    if b is None:
        return 0
    return sum(1 for r in b.pending if table is None or r.table is table)


def flush(session: Session) -> None:
    """Write the buffered rows now: one statement on PostgreSQL, one per table on SQLite."""
    b: _Buffer | None = session.info.get(_KEY)
    if b is None or not b.pending:
        return
    rows, b.pending = b.pending, []
    savepoint = session.get_nested_transaction()
    if savepoint is not None:
        b.written.setdefault(savepoint, []).extend(rows)
    groups: dict[Table, list[_Row]] = {}
    for row in rows:
        groups.setdefault(row.table, []).append(row)
    postgres = session.get_bind().dialect.name == "postgresql"
    connection = session.connection()   # an INSERT needs none of the ORM's execution path
    merged: list[tuple[Table, list[_Row]]] = []
    for table, group in groups.items():
        columns = tuple(group[0].values)
        if postgres and len(group) >= _COPY_FROM.get(table.name, 1 << 62):
            copy_rows(session, table.name, columns, [[r.values[c] for c in columns]
                                                     for r in group])
        elif postgres and len(group) <= _MERGED_UP_TO:
            merged.append((table, group))
        else:
            for start in range(0, len(group), _CHUNK):
                _insert(connection, [(table, group[start:start + _CHUNK])])
    if merged:
        _insert(connection, merged)


def _insert(connection: Any, groups: list[tuple[Table, list[_Row]]]) -> None:
    shape = tuple((table, tuple(group[0].values), len(group),
                   table.name in _IGNORING_CONFLICTS) for table, group in groups)
    values = [row.values[name]
              for (_, group), (_, columns, _n, _i) in zip(groups, shape, strict=True)
              for row in group for name in columns]
    connection.execute(_insert_statement(shape),
                       dict(zip(_param_names(shape), values, strict=True)))


@cache
def _param_names(shape: tuple[tuple[Table, tuple[str, ...], int, bool], ...]
                 ) -> tuple[str, ...]:
    """The placeholders of :func:`_insert_statement`, in the order of the rows' values."""
    return tuple(f"{name}_{g}_{i}" for g, (_, columns, rows, _) in enumerate(shape)
                 for i in range(rows) for name in columns)


@cache
def _insert_statement(shape: tuple[tuple[Table, tuple[str, ...], int, bool], ...]
                      ) -> TextClause:
    """``INSERT … VALUES (…), (…)`` per table, the first ones as data-modifying CTEs of the
    last, built once per shape (tables, columns, row counts): SQLAlchemy cannot cache a
    multi-row VALUES and compiled it again on every commit; a text statement is cached, and
    its placeholders are typed like the columns (times stored as UTC, enums as stored)."""
    parts = []
    for g, (table, columns, rows, ignoring) in enumerate(shape):
        values = ", ".join("(" + ", ".join(f":{name}_{g}_{i}" for name in columns) + ")"
                           for i in range(rows))
        # Names from the model's Table; every column is looked up in it below (a KeyError
        # for a name that is not one of its columns), values only ever travel as parameters.
        parts.append(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES {values}"  # noqa: S608
                     + (" ON CONFLICT DO NOTHING" if ignoring else ""))
    sql = parts[-1]
    if len(parts) > 1:
        sql = ("WITH " + ", ".join(f"w{g} AS ({part})" for g, part in enumerate(parts[:-1]))
               + " " + sql)
    return text(sql).bindparams(*(
        bindparam(f"{name}_{g}_{i}", type_=table.c[name].type)
        for g, (table, columns, rows, _) in enumerate(shape)
        for i in range(rows) for name in columns))


def _tables_of(statement: Any) -> frozenset[str]:
    final_froms = getattr(statement, "get_final_froms", None)
    if final_froms is not None:
        tables = list(final_froms())
    else:
        table = getattr(statement, "table", None)
        tables = [] if table is None else [table]
    return frozenset(name for t in tables if (name := getattr(t, "name", None)) is not None)


# Statement shape (SQLAlchemy's cache key) → the tables it touches. Building a statement's
# FROM list (``get_final_froms``) costs about as much as compiling it, and it ran for every
# statement of a request that had buffered a row; the cache key is computed for the
# compiled-statement cache anyway and memoized on the statement, so a shape is examined once.
_TABLES_BY_SHAPE: dict[Any, frozenset[str]] = {}
_SHAPES_KEPT = 5_000    # cleared past this: the hot path has a few dozen shapes


def _touched(state: ORMExecuteState) -> frozenset[str]:
    statement = state.statement
    generate = getattr(statement, "_generate_cache_key", None)
    cache_key = generate() if generate is not None else None
    if cache_key is None:   # a statement SQLAlchemy cannot cache: examine it every time
        return _tables_of(statement)
    shape = cache_key.key
    found = _TABLES_BY_SHAPE.get(shape)
    if found is None:
        if len(_TABLES_BY_SHAPE) >= _SHAPES_KEPT:
            _TABLES_BY_SHAPE.clear()
        found = _TABLES_BY_SHAPE[shape] = _tables_of(statement)
    return found


@event.listens_for(Session, "do_orm_execute")
def _before_touching(state: ORMExecuteState) -> None:
    b: _Buffer | None = state.session.info.get(_KEY)
    if b is None or not b.pending:
        return
    touched = _touched(state)
    if touched and any(r.table.name in touched for r in b.pending):
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
    # Added inside: gone, as their INSERT would be. Added before the savepoint but written
    # inside it: the database undid that INSERT, so they wait to be written again.
    undone = [r for r in b.written.pop(savepoint, []) if r.owner is not savepoint]
    kept = [r for r in b.pending if r.owner is not savepoint]
    b.pending = sorted(undone + kept, key=lambda r: r.seq)


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
    # Released: its rows now belong to the enclosing savepoint (or to the transaction), and
    # so does what was written inside it.
    parent = _parent_savepoint(transaction)
    for r in b.pending:
        if r.owner is transaction:
            r.owner = parent
    written = b.written.pop(transaction, [])
    for r in written:
        if r.owner is transaction:
            r.owner = parent
    if parent is not None:
        b.written.setdefault(parent, []).extend(written)
