"""INQ-1, INS-1: keyset pages give every line exactly once, in order, with consistent balances.

Random histories — entries with value dates in and around the period and out of booking
order (a back-valued or forward-valued entry), several accounts, several customers — are paged
through with the ``next`` cursor at a random page size. The pages must together be exactly the
period's lines, newest booking first, each ``balance_after`` the account's balance right after
that line (replayed independently from the generated amounts), and ``total`` the number of
lines. The same for the instruction list, with instructions entered at the same instant (the
id breaks the tie).

The ``db`` fixture empties the tables after the whole test, not after each example, so each
example works on accounts and contracts of its own.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from kinko import clock
from kinko.db import Database
from kinko.inquiries import service as inquiries
from kinko.instructions import service as instructions
from kinko.instructions.models import Instruction, InstructionStatus
from kinko.instructions.service import Actor
from kinko.ledger.rules import Leg
from kinko.ledger.service import EntryRequest, post
from tests import factories

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=clock.JST)
TODAY = NOW.date()
OPENING = 10_000_000

# (index of the debited account, index of the credited one, amount, value date offset in days)
Move = tuple[int, int, int, int]


@st.composite
def histories(draw: st.DrawFn) -> list[Move]:
    moves = []
    for _ in range(draw(st.integers(0, 45))):
        debit = draw(st.integers(0, 2))
        credit = draw(st.integers(0, 2).filter(lambda c, d=debit: c != d))
        # Mostly inside the default period (the last 30 days); some before it, some after
        # today (forward-valued), in any order relative to booking.
        offset = draw(st.one_of(st.integers(-30, 0), st.integers(-60, 5)))
        moves.append((debit, credit, draw(st.integers(1, 50_000)), offset))
    return moves


def _book(db: Database, moves: list[Move]) -> tuple[list[Actor], list[int]]:
    clock.set_now(NOW - timedelta(days=90))
    with db.transaction() as s:
        people = [factories.retail_actor(s, balance=OPENING) for _ in range(3)]
    clock.set_now(NOW)
    actors, accounts = [p[0] for p in people], [p[1] for p in people]

    def write(s: Session) -> None:
        for debit, credit, amount, offset in moves:
            post(s, EntryRequest(kind="transfer", value_date=TODAY + timedelta(days=offset),
                                 legs=[Leg(accounts[debit], -amount, "out"),
                                       Leg(accounts[credit], amount, "in")]), actor="t")

    db.run(write)
    return actors, accounts


def _expected(moves: list[Move], who: int, date_from: date, date_to: date
              ) -> list[tuple[date, int, int]]:
    """(value date, signed amount, balance after) of the period's lines, newest booking first,
    replayed from the moves alone."""
    balance, lines = OPENING, []
    opening_day = (NOW - timedelta(days=90)).date()
    if date_from <= opening_day <= date_to:
        lines.append((opening_day, OPENING, OPENING))
    for debit, credit, amount, offset in moves:
        if who not in (debit, credit):
            continue
        signed = -amount if who == debit else amount
        balance += signed
        day = TODAY + timedelta(days=offset)
        if date_from <= day <= date_to:
            lines.append((day, signed, balance))
    return lines[::-1]


@pytest.mark.req("INQ-1")
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(moves=histories(), page_size=st.integers(1, 7), who=st.integers(0, 2),
       period=st.sampled_from([None, (-10, 0), (-45, -20), (-60, 5)]))
def test_statement_pages_cover_the_period_once_with_consistent_balances(
        db: Database, moves: list[Move], page_size: int, who: int,
        period: tuple[int, int] | None) -> None:
    actors, accounts = _book(db, moves)
    date_from = TODAY + timedelta(days=period[0]) if period else None
    date_to = TODAY + timedelta(days=period[1]) if period else None
    got: list[inquiries.StatementLine] = []
    totals = set()
    cursor: int | None = None
    with db.transaction() as s:
        for _ in range(len(moves) + 2):   # a cursor that does not advance fails, not hangs
            page = inquiries.statement(s, actors[who], accounts[who], date_from=date_from,
                                       date_to=date_to, page_size=page_size, before=cursor)
            assert len(page.lines) <= page_size
            assert page.next is None or len(page.lines) == page_size
            got += page.lines
            totals.add(page.total)
            if page.next is None:
                break
            cursor = page.next
        else:
            pytest.fail("the statement cursor did not reach the last page")
    start = date_from or TODAY - timedelta(days=30)
    want = _expected(moves, who, start, date_to or TODAY)
    assert [(ln.value_date, ln.deposit - ln.withdrawal, ln.balance_after) for ln in got] == want
    assert len({ln.posting_id for ln in got}) == len(got)
    assert totals == {len(want)}


@pytest.mark.req("INS-1")
@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(st.integers(0, 3), max_size=30), page_size=st.integers(1, 6))
def test_instruction_pages_list_each_instruction_once_newest_first(
        db: Database, steps: list[int], page_size: int) -> None:
    clock.set_now(NOW)
    with db.transaction() as s:
        mine, account = factories.retail_actor(s, balance=1)
        other, other_account = factories.retail_actor(s, balance=1)
        at = NOW
        for n, step in enumerate(steps):
            at += timedelta(seconds=step)   # 0: entered at the same instant as the previous
            for who, acc in ((mine, account), (other, other_account)):
                s.add(Instruction(
                    kind="transfer", customer_id=who.customer_id, contract_id=who.contract_id,
                    user_id=who.user_id, status=InstructionStatus.EXECUTED,
                    create_key=f"k{n}", request_hash="0" * 64, details="{}", digest="0" * 64,
                    debit_account_id=acc, amount=n + 1, fee=0, value_date=TODAY,
                    entered_at=at, confirm_deadline=at + timedelta(minutes=10)))
        s.flush()
    got: list[int] = []
    with db.transaction() as s:
        cursor = None
        for _ in range(len(steps) + 2):   # a cursor that does not advance fails, not hangs
            rows = instructions.list_for(s, mine, limit=page_size, before=cursor)
            got += [i.amount for i in rows]
            if len(rows) < page_size:
                break
            cursor = rows[-1].id
        else:
            pytest.fail("the instruction cursor did not reach the last page")
        # Another contract's instruction is no cursor here: an empty page, not its neighbours.
        theirs = instructions.list_for(s, other, limit=1)
        if theirs:
            assert instructions.list_for(s, mine, limit=5, before=theirs[0].id) == []
    # Newest first; at one instant the later-entered (higher id) first.
    assert got == list(range(len(steps), 0, -1))
