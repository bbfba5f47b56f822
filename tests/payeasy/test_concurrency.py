"""On PostgreSQL: a bill paid from 8 threads at once is paid once, and concurrent Pay-easy
confirmations never exceed the daily limit together (PAY-1, XFER-6, SPEC §12)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from kinko import clock
from kinko.db import Database
from kinko.errors import DomainError
from kinko.instructions.service import Actor, StepUpProof
from kinko.ledger.books import book
from kinko.ledger.models import Account, JournalEntry
from kinko.payeasy import service as payeasy
from kinko.payeasy.models import BillState, PayEasyBill
from tests import factories

pytestmark = pytest.mark.req("PAY-1")

AGENCY = "12345"


def _agency(db: Database) -> None:
    with db.transaction() as s:
        payeasy.register_agency(s, code=AGENCY, name="きんこ電力株式会社",
                                name_kana="ｷﾝｺﾃﾞﾝﾘﾖｸ", actor="test")


def _bill(db: Database, number: str, amount: int) -> int:
    with db.transaction() as s:
        return payeasy.issue_bill(s, agency_code=AGENCY, customer_number=number,
                                  confirmation_number="1234", amount=amount,
                                  due_date=date(2026, 11, 30), payee_name="きんこ電力").id


def _confirmer(db: Database) -> Callable[[tuple[Actor, payeasy.Quote]], bool]:
    def confirm(item: tuple[Actor, payeasy.Quote]) -> bool:
        actor, quote = item
        proof = StepUpProof(actor.user_id, quote.instruction.digest, clock.now())
        try:
            db.run(lambda s: payeasy.confirm(s, actor, quote.instruction.id, proof))
        except DomainError:
            return False
        return True
    return confirm


@pytest.mark.usefixtures("db")  # empties the tables afterwards
def test_a_bill_paid_from_8_threads_at_once_is_paid_once(pg_url: str) -> None:
    clock.set_now(datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST))
    db = Database(pg_url, pool_size=8)
    try:
        _agency(db)
        bill_id = _bill(db, "777", 12_345)
        payers: list[tuple[Actor, int]] = []
        with db.transaction() as s:
            for i in range(8):  # eight customers who all hold the bill's numbers
                payers.append(factories.retail_actor(s, balance=100_000,
                                                     holder=f"ﾀﾅｶ {chr(0xFF71 + i)}"))
        quotes = [(actor, db.run(lambda s, a=actor, acc=acc: payeasy.enter(
            s, a, key="same-bill", from_account_id=acc, agency_code=AGENCY,
            customer_number="777", confirmation_number="1234"))) for actor, acc in payers]
        confirm = _confirmer(db)
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(confirm, quotes))
        assert sum(results) == 1
        with db.transaction() as s:
            bill = s.get(PayEasyBill, bill_id)
            assert bill is not None and bill.state is BillState.PAID
            balances = [s.get(Account, acc).balance for _, acc in payers]  # type: ignore[union-attr]
            assert sorted(balances) == [100_000 - 12_345] + [100_000] * 7
            assert s.get(Account, book(s, "payeasy_settlement")).balance == 12_345  # type: ignore[union-attr]
            assert s.scalar(select(func.count()).select_from(JournalEntry).where(
                JournalEntry.kind == "payeasy")) == 1
    finally:
        db.dispose()


@pytest.mark.req("XFER-6")
@pytest.mark.usefixtures("db")
def test_concurrent_confirmations_never_exceed_the_daily_limit(pg_url: str) -> None:
    clock.set_now(datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST))
    db = Database(pg_url, pool_size=16)
    try:
        _agency(db)
        with db.transaction() as s:
            actor, acc = factories.retail_actor(s, balance=5_000_000)
        # 40 bills of 70,000 yen against the 1,000,000 yen Pay-easy daily limit
        for i in range(40):
            _bill(db, f"9{i:03d}", 70_000)
        quotes = [(actor, db.run(lambda s, i=i: payeasy.enter(
            s, actor, key=f"b{i}", from_account_id=acc, agency_code=AGENCY,
            customer_number=f"9{i:03d}", confirmation_number="1234"))) for i in range(40)]
        confirm = _confirmer(db)
        with ThreadPoolExecutor(max_workers=16) as pool:
            accepted = sum(pool.map(confirm, quotes))
        assert accepted == 1_000_000 // 70_000  # 14: exactly as many as fit, never more
        with db.transaction() as s:
            assert s.get(Account, acc).balance == 5_000_000 - accepted * 70_000  # type: ignore[union-attr]
            assert s.scalar(select(func.count()).select_from(PayEasyBill).where(
                PayEasyBill.state == BillState.PAID)) == accepted
    finally:
        db.dispose()
