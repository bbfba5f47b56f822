"""DD-1 money property: whatever the balances, the amounts, repeated payers and the chunk
size, each record is debited exactly when the payer's running withdrawable amount covers it,
the payers lose exactly what the batch collected, and the books balance."""

from __future__ import annotations

import itertools
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kinko import clock
from kinko.config import get_settings
from kinko.corporate_services import debits
from kinko.corporate_services.models import DebitAgreement, DebitBatch
from kinko.db import Database
from kinko.ledger.models import Account
from kinko.ledger.service import check_books
from kinko.zengin import read
from kinko.zengin.reader import Options
from tests.corporate_services.debit_support import request_file, world

UPLOAD = datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST)
DEBIT_DAY = date(2026, 12, 7)
_originators = itertools.count(2_000_000_000)


@pytest.mark.req("DD-1")
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(balances=st.lists(st.integers(0, 20_000), min_size=1, max_size=4),
       records=st.lists(st.tuples(st.integers(0, 3), st.integers(1, 9_000)), min_size=1,
                        max_size=10),
       chunk=st.integers(1, 6))
def test_debits_follow_the_running_balance(db: Database, balances: list[int],
                                           records: list[tuple[int, int]], chunk: int) -> None:
    clock.set_now(UPLOAD)
    originator = str(next(_originators))
    with db.transaction() as s:
        w = world(s, balances=balances, originator=originator)
    lines = [(get_settings().bank_code, w.payers[i % len(balances)][1],
              w.payers[i % len(balances)][2], amount) for i, amount in records]
    with db.transaction() as s:
        agreement = s.get(DebitAgreement, w.agreement_id)
        assert agreement is not None
        batch_id = debits.upload(s, agreement, request_file(
            lines, debit_date=DEBIT_DAY, today=UPLOAD.date(), originator=originator),
            user_id=None, actor="test").id
    clock.set_now(datetime(2026, 12, 7, 9, 0, tzinfo=clock.JST))
    debits.run_due(db, chunk=chunk)
    running = list(balances)
    expected = []
    for i, amount in records:
        payer = i % len(balances)
        ok = running[payer] >= amount
        running[payer] -= amount if ok else 0
        expected.append("0" if ok else "1")
    with db.transaction() as s:
        batch = s.get(DebitBatch, batch_id)
        assert batch is not None
        codes = [d.result_code for d in read(debits.result_file(s, batch),  # type: ignore[attr-defined]
                                             Options(reference_date=DEBIT_DAY)).groups[0].records]
        assert codes == expected
        assert [s.get(Account, a).balance for a, _, _ in w.payers] == running  # type: ignore[union-attr]
        assert batch.collected_amount == sum(balances) - sum(running)
        books = check_books(s)
        assert books.debits == books.credits and not books.mismatched
