"""No lost or doubled money when many processes post at once (SPEC §12, LED-2, LED-3, INS-3).

Real client processes on PostgreSQL: row locks, the one-statement post path and
``Database.run``'s retries are what is under test, and none of them exist on SQLite's single
writer, so these tests skip there with a visible reason.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import random
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from typing import Any

import pytest
from sqlalchemy import select

from kinko.audit.models import AuditEvent
from kinko.db import Database
from kinko.ledger.models import Account, AccountType, JournalEntry, Posting
from kinko.ledger.service import check_books
from tests import factories
from tests.load.workers import Outcome, random_transfers, same_key_transfers

CLIENTS = 8
TRANSFERS_PER_CLIENT = 500


def _run_clients(db: Database, target: Callable[..., None],
                 args_for: Callable[[int, Any, Any], tuple[Any, ...]],
                 clients: int = CLIENTS, timeout: float = 120) -> list[Outcome]:
    """Start ``clients`` processes, wait for every outcome, never hang the test run."""
    # fork, because a spawned child re-imports Kinko and that start-up would dominate the
    # test's time; with the parent's pool emptied first, no child inherits a live connection
    # (each opens its own Database).
    db.engine.dispose()
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(clients)
    results = ctx.Queue()
    procs: list[BaseProcess] = [
        ctx.Process(target=target, args=args_for(i, barrier, results)) for i in range(clients)
    ]
    for proc in procs:
        proc.start()
    outcomes: list[Outcome] = []
    try:
        while len(outcomes) < clients:
            try:
                outcomes.append(results.get(timeout=timeout))
            except queue.Empty:
                pytest.fail("a client process did not report back")
    finally:
        for proc in procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.terminate()
    return outcomes


def _balances(db: Database, ids: list[int]) -> dict[int, tuple[int, int]]:
    """Balance and overdraft line per account."""
    with db.transaction() as s:
        rows = s.execute(select(Account.id, Account.balance, Account.overdraft_limit)
                         .where(Account.id.in_(ids))).all()
    return {r.id: (r.balance, r.overdraft_limit) for r in rows}


@pytest.mark.req("LED-2")
@pytest.mark.req("LED-3")
def test_concurrent_random_transfers_lose_and_double_nothing(pg_url: str, db: Database) -> None:
    """8 processes × 500 transfers among 20 accounts, 4 of them hot, many beyond the balance."""
    rng = random.Random(7)
    with db.transaction() as s:
        # Checking accounts with an overdraft line take part, so the line itself is contended.
        accounts = [
            factories.account(s, balance=rng.choice([0, 5_000, 20_000]),
                              overdraft=10_000 if i % 5 == 0 else 0,
                              account_type=(AccountType.CHECKING if i % 5 == 0
                                            else AccountType.ORDINARY))
            for i in range(20)
        ]
    hot = accounts[:4]
    before = _balances(db, accounts)

    outcomes = _run_clients(db, random_transfers, lambda i, barrier, results: (
        pg_url, i, TRANSFERS_PER_CLIENT, accounts, hot, 12_000, barrier, results))

    unexpected = [u for o in outcomes for u in o.unexpected]
    assert unexpected == [], "deadlock, serialization failure or other error reached a caller"
    acknowledged = {a[0]: a for o in outcomes for a in o.acknowledged}
    refused = {k for o in outcomes for k in o.refused}
    assert len(acknowledged) + len(refused) == CLIENTS * TRANSFERS_PER_CLIENT
    # The load must exercise both outcomes, or the test proves less than it claims.
    assert acknowledged and len(refused) > 100

    after = _balances(db, accounts)
    assert sum(b for b, _ in after.values()) == sum(b for b, _ in before.values())
    assert all(balance >= -limit for balance, limit in after.values())

    with db.transaction() as s:
        entries = {e.idempotency_key: e.id for e in s.scalars(
            select(JournalEntry).where(JournalEntry.idempotency_key.like("load-%")))}
        postings: dict[int, list[tuple[int, int]]] = {}
        for p in s.scalars(select(Posting).where(Posting.entry_id.in_(list(entries.values())))):
            postings.setdefault(p.entry_id, []).append((p.account_id, p.amount))
        audited = set(s.scalars(select(AuditEvent.subject_id)
                                .where(AuditEvent.action == "ledger.post")))
        books = check_books(s)

    # Every acknowledged transfer is there exactly once (keys are unique), under the entry id
    # its client was given, with both legs; every refused one left no entry at all.
    assert set(entries) == set(acknowledged)
    assert not refused & set(entries)
    for key, entry_id, debit, credit, amount in acknowledged.values():
        assert entries[key] == entry_id
        assert sorted(postings[entry_id]) == sorted([(debit, -amount), (credit, amount)])
        assert str(entry_id) in audited
    # Σ debits = Σ credits, and every stored balance equals the sum of its postings.
    assert books.ok, books.mismatched
    # Each balance moved by exactly the acknowledged transfers' net amounts.
    net = dict.fromkeys(accounts, 0)
    for _key, _id, debit, credit, amount in acknowledged.values():
        net[debit] -= amount
        net[credit] += amount
    assert {k: after[k][0] - before[k][0] for k in accounts} == net


@pytest.mark.req("INS-3")
def test_same_idempotency_key_from_many_processes_posts_once(pg_url: str, db: Database) -> None:
    """Each of 10 keys is sent by 8 processes at the same moment: one entry per key."""
    with db.transaction() as s:
        payer = factories.account(s, balance=1_000_000)
        payee = factories.account(s)
    keys = [f"same-{n}" for n in range(10)]

    outcomes = _run_clients(db, same_key_transfers, lambda i, barrier, results: (
        pg_url, i, keys, payer, payee, 1_000, barrier, results))

    assert [u for o in outcomes for u in o.unexpected] == []
    with db.transaction() as s:
        entries = s.execute(select(JournalEntry.idempotency_key, JournalEntry.id)
                            .where(JournalEntry.idempotency_key.like("same-%"))).all()
        balance = s.scalar(select(Account.balance).where(Account.id == payer))
        books = check_books(s)
    assert sorted(str(k) for k, _ in entries) == keys     # exactly one entry per key
    ids = dict(entries)
    for outcome in outcomes:                               # every sender got that entry back
        assert {key: entry_id for key, entry_id, *_ in outcome.acknowledged} == ids
    assert balance == 1_000_000 - 1_000 * len(keys)        # the money moved once per key
    assert books.ok
