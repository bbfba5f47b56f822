"""INQ-1, INS-1: on PostgreSQL the statement page and the instruction list walk indexes.

A history of 60,000 postings (the ``kinko bench scale`` generator: a busy account among a
hundred, 190 days) is loaded and analysed; then the exact statements the services send for
page 1 and for a cursor page are explained, and none may read journal_entries, postings or
instructions with a sequential scan — the plan that made pages cost more as history grew."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, text

from kinko import clock
from kinko.bench import scale
from kinko.db import Database
from kinko.inquiries import service as inquiries
from kinko.instructions import service as instructions

pytestmark = [pytest.mark.req("INQ-1"), pytest.mark.req("INS-1")]
WATCHED = {"journal_entries", "postings", "instructions"}


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _seq_scans(db: Database, statements: list[tuple[str, Any]]) -> list[str]:
    found = []
    with db.engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        for sql, params in statements:
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            [[plan]] = cursor.fetchall()
            plan = plan if isinstance(plan, list) else json.loads(plan)
            found += [f"{node['Relation Name']} in: {sql[:120]}"
                      for node in _nodes(plan[0]["Plan"])
                      if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in WATCHED]
    return found


def test_statement_and_instruction_pages_use_indexes(pg_url: str, db: Database,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scale, "ACCOUNTS", 100)   # a busy one and a typical one among them
    with db.transaction() as s:
        clock.set_now(scale._at_end_of(scale.START))
        people = scale._setup(s)
    state = scale._State(balances=[scale.OPENING] * len(people.account_ids))
    with db.transaction() as s:
        scale._next_ids(s, state)
    try:
        scale._load(db, state, people, 60_000)
        clock.set_now(scale._at_end_of(state.day(state.entries - 1)))
        _explain_pages(db, people)
    finally:
        # The fixture empties tables with DELETE, which checks every unindexed foreign key
        # row by row: minutes for this history. TRUNCATE takes it in one step.
        with db.engine.begin() as conn:
            conn.execute(text("TRUNCATE postings, instructions, audit_events, limit_usage, "
                              "journal_entries CASCADE"))


def _explain_pages(db: Database, people: scale._People) -> None:
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
                _many: bool) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        with db.transaction() as s:
            busy = people.account_ids[0]
            page = inquiries.statement(s, people.busy, busy)
            assert page.next is not None and len(page.lines) == 50
            inquiries.statement(s, people.busy, busy, before=page.next)
            inquiries.statement(s, people.typical, people.account_ids[1])
            first = instructions.list_for(s, people.busy, limit=51)
            instructions.list_for(s, people.busy, limit=51, before=first[-1].id)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    assert any("postings" in sql for sql, _ in sent)
    assert any("instructions" in sql for sql, _ in sent)
    assert _seq_scans(db, sent) == []
