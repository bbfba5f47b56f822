"""DD-1 / DD-2: upload by the cutoff, the debit day from the payers' real state, the 91 result
file, the settlement less fees, the collection agency, and a rerun that debits nobody twice."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import delete, func, select

from kinko import clock
from kinko.config import get_settings
from kinko.corporate_services import debits
from kinko.corporate_services.errors import CutoffPassed
from kinko.corporate_services.models import (
    AgreementKind,
    BatchState,
    DebitAgreement,
    DebitBatch,
    DebitItem,
    Mandate,
)
from kinko.db import Database
from kinko.ledger.models import Account, AccountState, JournalEntry, Posting
from kinko.ledger.service import change_state, check_books, place_hold
from kinko.zengin import read
from kinko.zengin import records as r
from kinko.zengin.errors import ZenginFileInvalid
from kinko.zengin.reader import Options
from tests.corporate_services.debit_support import World, request_file, world

UPLOAD = datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST)    # Friday
REQUESTED = date(2026, 12, 5)                                # a Saturday
DEBIT_DAY = date(2026, 12, 7)                                # → Monday
SETTLEMENT = date(2026, 12, 8)                               # next business day


def _at(day: date, hour: int = 9) -> None:
    clock.set_now(datetime(day.year, day.month, day.day, hour, 0, tzinfo=clock.JST))


def _upload(db: Database, w: World, data: bytes) -> int:
    with db.transaction() as s:
        agreement = s.get(DebitAgreement, w.agreement_id)
        assert agreement is not None
        return debits.upload(s, agreement, data, user_id=w.actor.user_id, actor="test").id


def _run(db: Database, batch_id: int, chunk: int = 2) -> None:
    while True:
        with db.transaction() as s:
            if not debits.debit_chunk(s, batch_id, limit=chunk).remaining:
                return


@pytest.mark.req("DD-1")
def test_a_cycle_with_every_result_code(db: Database) -> None:
    clock.set_now(UPLOAD)
    with db.transaction() as s:
        w = world(s, balances=[50_000, 1_000, 50_000, 50_000, 50_000, 50_000, 50_000])
        unmandated = w.payers[4]
        # 依頼書なし: the payer's mandate is not registered (drop it again).
        s.execute(delete(Mandate).where(Mandate.account_number == unmandated[2]))
        debits.stop_mandate(s, w.agreement_id, w.payers[3][1], w.payers[3][2], actor="test")
    bank = get_settings().bank_code
    lines = [(bank, b, n, 10_000) for _, b, n in w.payers]
    lines.append((bank, "001", "7777777", 10_000))        # no such account
    data = request_file(lines, debit_date=REQUESTED, today=UPLOAD.date())
    batch_id = _upload(db, w, data)
    assert _upload(db, w, data) == batch_id                 # the same file: the same batch
    with db.transaction() as s:
        batch = s.get(DebitBatch, batch_id)
        assert batch is not None and batch.debit_date == DEBIT_DAY
        assert batch.settlement_date == SETTLEMENT
        debits.stop_item(s, w.actor, batch_id, 6)           # 委託者都合
        change_state(s, w.payers[2][0], AccountState.CLOSED, actor="test", reason="closed")
        place_hold(s, account_id=w.payers[6][0], amount=45_000, reason="hold", actor="test")
    _at(DEBIT_DAY)
    _run(db, batch_id)
    with db.transaction() as s:
        batch = s.get(DebitBatch, batch_id)
        assert batch is not None and batch.state is BatchState.DEBITED
        content = debits.result_file(s, batch)
        balances = [s.get(Account, a).balance for a, _, _ in w.payers]  # type: ignore[union-attr]
    file = read(content, Options(reference_date=DEBIT_DAY))
    codes = [d.result_code for d in file.groups[0].records]  # type: ignore[attr-defined]
    # 0 collected, 1 資金不足, 2 closed, 3 預金者都合, 4 依頼書なし, 8 委託者都合,
    # 1 (held funds are not withdrawable), 2 取引なし.
    assert codes == ["0", "1", "2", "3", "4", "8", "1", "2"]
    trailer = file.groups[0].trailer
    assert isinstance(trailer, r.DebitTrailer)
    assert (trailer.collected_count, trailer.collected_amount) == (1, 10_000)
    assert (trailer.failed_count, trailer.failed_amount) == (7, 70_000)
    assert balances == [40_000, 1_000, 50_000, 50_000, 50_000, 50_000, 50_000]
    # Settlement: not before its day; then the total less the per-item fee, once.
    with db.transaction() as s, pytest.raises(Exception, match="settles"):
        debits.settle(s, batch_id)
    _at(SETTLEMENT)
    with db.transaction() as s:
        debits.settle(s, batch_id)
        debits.settle(s, batch_id)
    with db.transaction() as s:
        company = s.get(Account, w.company_account)
        assert company is not None and company.balance == 10_000 + 10_000 - 110
        check = check_books(s)
        assert check.debits == check.credits and not check.mismatched


@pytest.mark.req("DD-1")
def test_refused_file_is_line_precise_and_keeps_nothing(db: Database) -> None:
    clock.set_now(UPLOAD)
    with db.transaction() as s:
        w = world(s, balances=[50_000])
    _, b, n = w.payers[0]
    other_bank = request_file([(get_settings().bank_code, b, n, 1), ("0005", "001", "1234567", 5)],
                              debit_date=REQUESTED, today=UPLOAD.date())
    with pytest.raises(ZenginFileInvalid) as refused:
        _upload(db, w, other_bank)
    assert [(e.record, e.start, e.end) for e in refused.value.errors] == [(3, 2, 5)]
    wrong = request_file([(get_settings().bank_code, b, n, 1)], debit_date=REQUESTED,
                         today=UPLOAD.date(), originator="9999999999")
    with pytest.raises(ZenginFileInvalid) as refused:
        _upload(db, w, wrong)
    assert refused.value.errors[0].record == 1 and refused.value.errors[0].start == 5
    broken = bytearray(request_file([(get_settings().bank_code, b, n, 1)],
                                    debit_date=REQUESTED, today=UPLOAD.date()))
    broken[122 + 80] = ord("X")                  # a letter in the amount of record 2
    with pytest.raises(ZenginFileInvalid) as refused:
        _upload(db, w, bytes(broken))
    assert refused.value.errors[0].record == 2
    # After the cutoff (5 business days before the debit day, 15:00) the file is refused.
    _at(date(2026, 11, 30), 15)
    clock.set_now(datetime(2026, 11, 30, 15, 1, tzinfo=clock.JST))
    late = request_file([(get_settings().bank_code, b, n, 1)], debit_date=REQUESTED,
                        today=date(2026, 11, 30))
    with pytest.raises(ZenginFileInvalid, match="cutoff"):
        _upload(db, w, late)
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(DebitBatch)) == 0
        assert s.scalar(select(func.count()).select_from(DebitItem)) == 0


@pytest.mark.req("DD-1")
def test_cancel_until_the_cutoff(db: Database) -> None:
    clock.set_now(UPLOAD)
    with db.transaction() as s:
        w = world(s, balances=[50_000])
    _, b, n = w.payers[0]
    first = _upload(db, w, request_file([(get_settings().bank_code, b, n, 100)],
                                        debit_date=REQUESTED, today=UPLOAD.date()))
    second = _upload(db, w, request_file([(get_settings().bank_code, b, n, 200)],
                                         debit_date=REQUESTED, today=UPLOAD.date()))
    with db.transaction() as s:
        assert debits.cancel(s, w.actor, first).state is BatchState.CANCELLED
    clock.set_now(datetime(2026, 11, 30, 15, 1, tzinfo=clock.JST))
    with db.transaction() as s, pytest.raises(CutoffPassed):
        debits.cancel(s, w.actor, second)
    _at(DEBIT_DAY)
    _run(db, first)
    _run(db, second)
    with db.transaction() as s:
        assert s.get(Account, w.payers[0][0]).balance == 50_000 - 200  # type: ignore[union-attr]


@pytest.mark.req("DD-1")
def test_rerun_after_a_crash_debits_nobody_twice(db: Database) -> None:
    clock.set_now(UPLOAD)
    with db.transaction() as s:
        w = world(s, balances=[50_000] * 6)
    bank = get_settings().bank_code
    batch_id = _upload(db, w, request_file([(bank, b, n, 1_000) for _, b, n in w.payers],
                                           debit_date=REQUESTED, today=UPLOAD.date()))
    _at(DEBIT_DAY)
    with db.transaction() as s:
        debits.debit_chunk(s, batch_id, limit=2)             # committed
    with pytest.raises(RuntimeError), db.transaction() as s:
        debits.debit_chunk(s, batch_id, limit=2)
        raise RuntimeError("killed before the commit")       # rolled back
    _run(db, batch_id, chunk=4)
    _run(db, batch_id, chunk=4)                              # and again: nothing to do
    with db.transaction() as s:
        debited = s.scalar(select(func.count()).select_from(Posting).join(
            JournalEntry, JournalEntry.id == Posting.entry_id).where(
            JournalEntry.kind == "direct_debit", Posting.amount < 0))
        assert debited == 6
        assert [s.get(Account, a).balance for a, _, _ in w.payers] == [49_000] * 6  # type: ignore[union-attr]


@pytest.mark.req("DD-2")
def test_collection_through_the_agency_settles_seven_business_days_after(db: Database) -> None:
    clock.set_now(UPLOAD)
    with db.transaction() as s:
        w = world(s, balances=[50_000], kind=AgreementKind.COLLECTION)
    bank = get_settings().bank_code
    _, b, n = w.payers[0]
    requested = date(2026, 12, 18)                 # collection's cutoff is 10 business days
    data = request_file([(bank, b, n, 3_000), ("0005", "001", "1234567", 7_000),
                         ("0005", "001", "1239991", 9_000), ("0009", "100", "1239992", 1_000)],
                        debit_date=requested, today=UPLOAD.date())
    batch_id = _upload(db, w, data)
    _at(requested)
    _run(db, batch_id)
    with db.transaction() as s:
        batch = s.get(DebitBatch, batch_id)
        assert batch is not None
        assert batch.settlement_date == date(2026, 12, 29)   # 7 business days after 12-18
        codes = [d.result_code for d in read(debits.result_file(s, batch)).groups[0].records]  # type: ignore[attr-defined]
    assert codes == ["0", "0", "1", "2"]
    _at(date(2026, 12, 29))
    with db.transaction() as s:
        debits.settle(s, batch_id)
        company = s.get(Account, w.company_account)
        assert company is not None and company.balance == 10_000 + 10_000 - 2 * 165


@pytest.mark.req("DD-1")
def test_the_batch_runner_debits_on_the_day_and_settles_the_next(db: Database) -> None:
    from kinko.batch.service import run_due

    clock.set_now(UPLOAD)
    with db.transaction() as s:
        w = world(s, balances=[5_000, 5_000])
    bank = get_settings().bank_code
    batch_id = _upload(db, w, request_file([(bank, b, n, 2_000) for _, b, n in w.payers],
                                           debit_date=REQUESTED, today=UPLOAD.date()))
    _at(date(2026, 12, 4), 23)                  # the day before: nothing happens
    run_due(db)
    with db.transaction() as s:
        assert s.get(DebitBatch, batch_id).state is BatchState.ACCEPTED  # type: ignore[union-attr]
    _at(DEBIT_DAY, 1)
    run_due(db)
    run_due(db)
    _at(SETTLEMENT, 1)
    run_due(db)
    with db.transaction() as s:
        assert s.get(DebitBatch, batch_id).state is BatchState.SETTLED  # type: ignore[union-attr]
        assert s.get(Account, w.company_account).balance == 10_000 + 4_000 - 220  # type: ignore[union-attr]


@pytest.mark.req("DD-1")
def test_two_runners_at_once_debit_each_payer_once(db: Database, pg_url: str) -> None:
    import threading

    clock.set_now(UPLOAD)
    with db.transaction() as s:
        w = world(s, balances=[3_000] * 40)
    bank = get_settings().bank_code
    batch_id = _upload(db, w, request_file([(bank, b, n, 1_000) for _, b, n in w.payers],
                                           debit_date=REQUESTED, today=UPLOAD.date()))
    _at(DEBIT_DAY)
    errors: list[BaseException] = []

    def runner() -> None:
        try:
            debits.run_due(db, chunk=7)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=runner) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    with db.transaction() as s:
        assert [s.get(Account, a).balance for a, _, _ in w.payers] == [2_000] * 40  # type: ignore[union-attr]
        batch = s.get(DebitBatch, batch_id)
        assert batch is not None and batch.collected_count == 40
        check = check_books(s)
        assert check.debits == check.credits and not check.mismatched
