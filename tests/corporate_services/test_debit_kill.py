"""DD-1 crash safety with a real process: the bank's debit-day run (``kinko corporate dd-run``)
is killed with SIGKILL in the middle of a 91 file, then run again. Nobody is debited twice,
every record has exactly one result, and the money is conserved: what the payers lost is what
the batch collected, the company is paid that less the fees, and the books balance.
PostgreSQL only (the server rolls back the killed run's open chunk)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kinko import clock
from kinko.bench import debit as world
from kinko.corporate_services import debits
from kinko.corporate_services.models import BatchState, DebitAgreement, DebitBatch, DebitItem
from kinko.db import Database
from kinko.ledger.models import Account, JournalEntry, Posting
from kinko.ledger.service import check_books
from kinko.zengin import read
from kinko.zengin.reader import Options

RECORDS = 4_000
CHUNK = 50


def _run(url: str, at: datetime, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KINKO_DATA_DIR": str(tmp_path),
           "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen(
        [sys.executable, "-c", "from kinko.cli import main; main()", "corporate", "dd-run",
         "--at", at.strftime("%Y-%m-%dT%H:%M"), "--chunk", str(CHUNK), "--database-url", url],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def _decided(db: Database, batch_id: int) -> int:
    with db.transaction() as s:
        return int(s.execute(select(DebitBatch.decided_through).where(
            DebitBatch.id == batch_id)).scalar_one())


@pytest.mark.req("DD-1")
def test_a_run_killed_mid_file_and_run_again_debits_nobody_twice(
        db: Database, pg_url: str, tmp_path: Path) -> None:
    clock.set_now(world.UPLOAD)
    agreement_id, company, payers = world.setup_world(db, RECORDS)
    with db.transaction() as s:
        agreement = s.get(DebitAgreement, agreement_id)
        assert agreement is not None
        batch = debits.upload(s, agreement, world.request_file(payers), user_id=None, actor="test")
        batch_id, debit_day, settlement_day = batch.id, batch.debit_date, batch.settlement_date
        before = dict(s.execute(select(Account.id, Account.balance).where(
            Account.number >= "1000000")).all())
        company_before = s.get(Account, company).balance  # type: ignore[union-attr]
    at = datetime.combine(debit_day, world.UPLOAD.timetz())
    proc = _run(pg_url, at, tmp_path)
    try:
        # Kill it once some chunks have committed and before the last.
        deadline = time.monotonic() + 120
        while _decided(db, batch_id) < 3 * CHUNK:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the run never got going"
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    killed_at = _decided(db, batch_id)
    assert 3 * CHUNK <= killed_at < RECORDS, "the run was not stopped mid-file"
    with db.transaction() as s:
        assert s.get(DebitBatch, batch_id).state is BatchState.DEBITING  # type: ignore[union-attr]
    # The rerun takes up after the last committed chunk and finishes the file.
    again = _run(pg_url, at, tmp_path)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err.decode()
    assert b"debited 1 batches" in out
    settled = _run(pg_url, datetime.combine(settlement_day, world.UPLOAD.timetz()), tmp_path)
    out, err = settled.communicate(timeout=300)
    assert settled.returncode == 0 and b"settled 1" in out, err.decode()

    with db.transaction() as s:
        batch = s.get(DebitBatch, batch_id)
        assert batch is not None and batch.state is BatchState.SETTLED
        assert batch.decided_through == RECORDS
        result = read(debits.result_file(s, batch), Options(reference_date=debit_day))
        records = result.groups[0].records
        codes = [d.result_code for d in records]  # type: ignore[attr-defined]
        after = dict(s.execute(select(Account.id, Account.balance).where(
            Account.number >= "1000000")).all())
        ids = dict(s.execute(select(Account.number, Account.id).where(
            Account.number >= "1000000")).all())
        # One debit leg at most per payer, across every entry the two runs posted.
        legs = dict(s.execute(
            select(Posting.account_id, func.count()).join(
                JournalEntry, JournalEntry.id == Posting.entry_id)
            .where(JournalEntry.kind == "direct_debit", Posting.amount < 0)
            .group_by(Posting.account_id)).all())
        debited = -int(s.execute(select(func.sum(Posting.amount)).join(
            JournalEntry, JournalEntry.id == Posting.entry_id).where(
            JournalEntry.kind == "direct_debit", Posting.amount < 0)).scalar_one())
        paid = s.get(Account, company).balance - company_before  # type: ignore[union-attr]
        books = check_books(s)
        items = s.execute(select(func.count()).select_from(DebitItem).where(
            DebitItem.batch_id == batch_id)).scalar_one()
    assert items == RECORDS and len(codes) == RECORDS
    assert max(legs.values()) == 1
    for record, code in zip(records, codes, strict=True):
        account_id = ids[record.account_number]  # type: ignore[attr-defined]
        lost = before[account_id] - after[account_id]
        assert lost == (world.AMOUNT if code == "0" else 0), (record, code)
        assert legs.get(account_id, 0) == (1 if code == "0" else 0)
    collected = codes.count("0")
    assert set(codes) == {"0", "1", "4"}     # every path was taken
    assert batch.collected_count == collected
    assert debited == batch.collected_amount == collected * world.AMOUNT
    assert paid == batch.collected_amount - batch.fee_total
    assert books.debits == books.credits and not books.mismatched
