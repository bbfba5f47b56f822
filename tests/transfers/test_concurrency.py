"""Concurrent confirmations against one daily limit never exceed it (XFER-6, PostgreSQL), and
parallel confirmations of one instruction debit once (INS-1, both databases: on SQLite they
queue for the single writer, and each posts with one statement, migration 0020)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
from sqlalchemy import func, select

from kinko import clock
from kinko.db import Database
from kinko.errors import DomainError
from kinko.instructions.models import Instruction, InstructionStatus
from kinko.instructions.service import Actor, StepUpProof
from kinko.ledger.models import Account, JournalEntry
from kinko.transfers import service as transfers
from tests import factories

pytestmark = pytest.mark.req("XFER-6")


def _confirmed(db: Database, actor: Actor, quote: transfers.Quote) -> bool:
    """Confirm in a transaction of its own; False if the confirmation was refused."""
    proof = StepUpProof(actor.user_id, quote.instruction.digest, clock.now())
    try:
        db.run(lambda s: transfers.confirm(s, actor, quote.instruction.id, proof))
    except DomainError:
        return False
    return True


def test_200_concurrent_confirmations_never_exceed_the_daily_limit(pg_url: str) -> None:
    clock.set_now(datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST))
    db = Database(pg_url, pool_size=16)
    try:
        with db.transaction() as s:
            actor, acc = factories.retail_actor(s, balance=10_000_000)
            payee = factories.account(s, holder="ｻﾄｳ ﾊﾅｺ")
            target = s.get(Account, payee)
            assert target is not None
            registered = transfers.register_payee(
                s, actor, bank_code="0999", branch_code=target.branch_code,
                account_type="ordinary", number=target.number).id
        # 200 instructions of 7,000 yen each against the 1,000,000 yen retail daily limit
        quotes = [db.run(lambda s, i=i: transfers.enter(
            s, actor, key=f"c{i}", from_account_id=acc, amount=7_000, payee_id=registered))
            for i in range(200)]

        with ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(lambda q: _confirmed(db, actor, q), quotes))
        accepted = sum(results)
        assert accepted == 1_000_000 // 7_000  # 142: exactly as many as fit, never more
        with db.transaction() as s:
            assert s.get(Account, acc).balance == 10_000_000 - accepted * 7_000  # type: ignore[union-attr]
            assert s.scalar(select(func.count()).select_from(Instruction).where(
                Instruction.status == InstructionStatus.EXECUTED)) == accepted
    finally:
        db.dispose()


@pytest.mark.req("INS-1")
def test_parallel_confirmations_of_one_instruction_debit_once(db: Database) -> None:
    clock.set_now(datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST))
    with db.transaction() as s:
        actor, acc = factories.retail_actor(s, balance=100_000)
        payee = s.get(Account, factories.account(s, holder="ｻﾄｳ ﾊﾅｺ"))
        assert payee is not None
    quote = db.run(lambda s: transfers.enter(
        s, actor, key="once", from_account_id=acc, amount=1_000, bank_code="0999",
        branch_code=payee.branch_code, account_type="ordinary", number=payee.number))
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert sum(pool.map(lambda _: _confirmed(db, actor, quote), range(8))) == 1
    with db.transaction() as s:
        assert s.get(Account, acc).balance == 99_000  # type: ignore[union-attr]
        assert s.scalar(select(func.count()).select_from(JournalEntry).where(
            JournalEntry.idempotency_key == f"instruction:{quote.instruction.id}")) == 1
