"""Bulk transfer 総合振込 (BULK-1), approvals (APR-1), unpayable returns (XFER-7) on the real
database: upload, approve, fund, execute on the value date, result."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from kinko import clock
from kinko.bulk import service as bulk
from kinko.bulk.errors import (
    ApprovalNotAllowed,
    ApprovalStale,
    BulkCutoffPassed,
    BulkFileRefused,
)
from kinko.bulk.models import BulkKind, BulkLine, BulkRequest, BulkState, LineState
from kinko.corporate import service as corporate
from kinko.corporate.errors import ServiceNotGranted
from kinko.db import Database
from kinko.ledger.books import book
from kinko.ledger.models import Account
from kinko.ledger.service import check_books
from tests.corporate import builders
from tests.corporate.bulkkit import (
    FRIDAY,
    OWN,
    RUN_AT,
    VALUE_DATE,
    approve,
    balance,
    own_payees,
    remote_payee,
    run_batch,
    transfer_file,
)


@pytest.fixture
def corp(db: Database) -> builders.Corp:
    clock.set_now(FRIDAY)
    c = db.run(builders.contract)
    db.run(lambda s: builders.grant(s, c, "general", "H", [c.representative]))
    db.run(lambda s: corporate.set_approval_mode(s, c.actor("master"), kind="bulk",
                                                 mode="double"))
    return c


@pytest.mark.req("BULK-1")
@pytest.mark.req("APR-1")
def test_upload_double_approval_and_execution_on_the_value_date(db: Database,
                                                                 corp: builders.Corp) -> None:
    own = db.run(lambda s: own_payees(s, 3))
    db.run(lambda s: remote_payee(s, "7000001"))
    lines = [(OWN, b, n, h, 10_000 * (i + 1)) for i, (b, n, h, _) in enumerate(own[:2])]
    lines.append((OWN, "001", "9999999", "ｲﾅｲ ﾋﾄ", 5_000))       # no such account here
    lines.append(("0001", "001", "7000001", "ﾀﾀﾞﾉ ﾀﾛｳ", 40_000))  # at another bank
    lines.append(("0001", "001", "7000002", "ﾏﾎﾞﾛｼ", 7_000))    # unknown there: sent back
    data = transfer_file(lines)
    before = balance(db, corp.representative)
    req = db.run(lambda s: bulk.from_zengin(s, corp.actor("general"), data))
    assert (req.count, req.total, req.state) == (5, 82_000, BulkState.PENDING)
    # The maker never approves; the first approver is not the final one.
    with pytest.raises(ApprovalNotAllowed):
        approve(db, corp.actor("general"), req.id)
    approve(db, corp.actor("admin"), req.id)
    with pytest.raises(ApprovalNotAllowed):
        approve(db, corp.actor("admin"), req.id)
    done = approve(db, corp.actor("master"), req.id)
    assert done.state is BulkState.APPROVED
    # Funding at the end of the previous business day, the run at 09:00 on the value date.
    run_batch(db, datetime(2026, 11, 20, 23, 59, tzinfo=clock.JST))
    assert db.run(lambda s: s.get(BulkRequest, req.id).state) is BulkState.FUNDED
    run_batch(db, RUN_AT)
    run_batch(db, RUN_AT + timedelta(minutes=30))   # the network answers
    run_batch(db, RUN_AT + timedelta(hours=1))      # the return is booked

    def outcome(s):  # type: ignore[no-untyped-def]
        r = s.get(BulkRequest, req.id)
        states = dict(s.execute(select(BulkLine.line_no, BulkLine.state)
                                .where(BulkLine.request_id == req.id)).all())
        return r.state, r.fee_total, states, s.get(Account, book(s, "suspense")).balance
    state, fees, states, suspense = db.run(outcome)
    assert state is BulkState.EXECUTED
    assert states == {1: LineState.CREDITED, 2: LineState.CREDITED, 3: LineState.RETURNED,
                      4: LineState.SENT, 5: LineState.RETURNED}
    assert balance(db, own[0][3]) == 10_000 and balance(db, own[1][3]) == 20_000
    # Unpayable amounts came back; the fees were kept (XFER-7).
    assert balance(db, corp.representative) == before - (82_000 - 5_000 - 7_000) - fees
    assert suspense == 0
    assert db.run(check_books).mismatched == {}
    csv_text = db.run(lambda s: bulk.result_csv(s, corp.actor("general"), req.id))
    assert "returned" in csv_text and csv_text.count("\r\n") == 6
    zengin = db.run(lambda s: bulk.result_zengin(s, corp.actor("general"), req.id))
    assert zengin.startswith(b"121")


@pytest.mark.req("BULK-1")
@pytest.mark.req("ZEN-1")
def test_a_refused_file_names_its_lines_and_keeps_nothing(db: Database,
                                                          corp: builders.Corp) -> None:
    good = (OWN, "001", "0000001", "ﾀﾛｳ", 1_000)
    data = transfer_file([good, ("0002", "001", "1234567", "ﾊﾅｺ", 1_000),
                          (OWN, "001", "1234567", "TARO YAMADA", 2_000)])
    with pytest.raises(BulkFileRefused) as refused:
        db.run(lambda s: bulk.from_zengin(s, corp.actor("general"), data))
    assert [(p["line"], p["field"]) for p in refused.value.problems] == [(3, "bank_code")]
    broken = data[:120 * 2 + 2 + 80] + b"X" + data[120 * 2 + 2 + 81:]
    with pytest.raises(BulkFileRefused) as refused:
        db.run(lambda s: bulk.from_zengin(s, corp.actor("general"), broken))
    assert refused.value.problems[0]["line"] == 3
    holiday = transfer_file([good], value_date=datetime(2026, 11, 23).date())
    with pytest.raises(BulkFileRefused) as refused:
        db.run(lambda s: bulk.from_zengin(s, corp.actor("general"), holiday))
    assert refused.value.problems[0]["suggestion"] == "2026-11-24"
    assert db.run(lambda s: s.scalar(select(func.count()).select_from(BulkRequest))) == 0
    assert db.run(lambda s: s.scalar(select(func.count()).select_from(BulkLine))) == 0


@pytest.mark.req("APR-1")
def test_an_edit_voids_earlier_approvals(db: Database, corp: builders.Corp) -> None:
    own = db.run(lambda s: own_payees(s, 2))
    data = transfer_file([(OWN, b, n, h, 1_000) for b, n, h, _ in own])
    req = db.run(lambda s: bulk.from_zengin(s, corp.actor("general"), data))
    approve(db, corp.actor("admin"), req.id)
    old = db.run(lambda s: s.get(BulkRequest, req.id).digest)
    edited = db.run(lambda s: bulk.edit_line(s, corp.actor("general"), req.id, 2, amount=9_000))
    assert edited.version == 2 and edited.total == 10_000 and edited.digest != old
    with pytest.raises(ApprovalStale):   # the master was shown the old details
        db.run(lambda s: bulk.approve(s, corp.actor("master"), req.id, digest=old,
                                      step_up=None))
    # The admin's approval was of version 1: the request needs both steps again.
    assert approve(db, corp.actor("master"), req.id).state is BulkState.PENDING
    assert approve(db, corp.actor("admin"), req.id).state is BulkState.APPROVED


@pytest.mark.req("APR-1")
@pytest.mark.req("BULK-1")
def test_approvals_missing_the_cutoff_expire_and_cancel_then_recall(
        db: Database, corp: builders.Corp) -> None:
    own = db.run(lambda s: own_payees(s, 1))
    data = transfer_file([(OWN, own[0][0], own[0][1], own[0][2], 3_000)])
    late = db.run(lambda s: bulk.from_zengin(s, corp.actor("general"), data))
    run_batch(db, datetime(2026, 11, 20, 17, 0, tzinfo=clock.JST))
    assert db.run(lambda s: s.get(BulkRequest, late.id).state) is BulkState.EXPIRED
    with pytest.raises(ApprovalStale):
        approve(db, corp.actor("admin"), late.id)
    with pytest.raises(BulkCutoffPassed):   # nor can a new request for that value date start
        db.run(lambda s: bulk.from_zengin(s, corp.actor("general"), data))
    # Before the cutoff a cancellation is free; after it, a recall with its fee.
    clock.set_now(datetime(2026, 11, 19, 10, 0, tzinfo=clock.JST))
    free = db.run(lambda s: bulk.from_zengin(s, corp.actor("general"), data))
    assert db.run(lambda s: bulk.cancel(s, corp.actor("general"), free.id)).state \
        is BulkState.CANCELLED
    paid = db.run(lambda s: bulk.from_zengin(s, corp.actor("general"), data))
    approve(db, corp.actor("admin"), paid.id)
    approve(db, corp.actor("master"), paid.id)
    before = balance(db, corp.representative)
    clock.set_now(datetime(2026, 11, 20, 18, 0, tzinfo=clock.JST))
    assert db.run(lambda s: bulk.cancel(s, corp.actor("master"), paid.id)).state \
        is BulkState.RECALLED
    assert balance(db, corp.representative) == before - 880


@pytest.mark.req("PRD-4")
@pytest.mark.req("PAYR-1")
def test_payroll_details_are_only_for_users_granted_payroll(db: Database,
                                                            corp: builders.Corp) -> None:
    own = db.run(lambda s: own_payees(s, 1))
    data = transfer_file([(OWN, own[0][0], own[0][1], "TARO YAMADA", 250_000)],
                         type_code="11")
    req = db.run(lambda s: bulk.from_zengin(s, corp.actor("master"), data))
    # All payees at this bank: request by 14:00 and funds by the previous business day.
    assert req.request_cutoff_at == datetime(2026, 11, 20, 14, 0, tzinfo=clock.JST)
    assert req.funding_day == datetime(2026, 11, 20).date()
    with pytest.raises(ServiceNotGranted):
        db.run(lambda s: bulk.get(s, corp.actor("general"), req.id))
    assert db.run(lambda s: bulk.list_for(s, corp.actor("general"))) == []
    db.run(lambda s: remote_payee(s, "7000003", "ﾔﾏﾀﾞ ﾀﾛｳ"))
    clock.set_now(datetime(2026, 11, 18, 10, 0, tzinfo=clock.JST))
    mixed = db.run(lambda s: bulk.from_zengin(s, corp.actor("master"), transfer_file(
        [(OWN, own[0][0], own[0][1], "TARO YAMADA", 1), ("0001", "001", "7000003",
                                                          "ﾔﾏﾀﾞ ﾀﾛｳ", 2)], type_code="12")))
    # Other banks included: 11:00 two business days before, funds three business days before.
    assert mixed.request_cutoff_at == datetime(2026, 11, 19, 11, 0, tzinfo=clock.JST)
    assert mixed.funding_day == datetime(2026, 11, 18).date()


@pytest.mark.req("ZEN-1")
def test_the_fast_column_cut_reads_what_the_record_decoder_reads() -> None:
    from kinko.bulk.models import BulkKind
    from kinko.zengin import Options, parse, sample
    from kinko.zengin.model import RecordView
    from kinko.zengin.writer import write

    day = datetime(2026, 11, 24).date()
    data = write(sample.transfer_file(300, value_date=day, edi_every=7),
                 Options(reference_date=day))
    file = parse(data, Options(reference_date=day)).file
    assert file is not None
    records = file.groups[0].records
    assert isinstance(records, RecordView)
    assert bulk._payees_from_raw(records.raw(), BulkKind.BULK) == \
        bulk._payees_from_records(list(records))


@pytest.mark.req("BULK-1")
def test_the_collector_is_back_on_after_an_upload_good_or_refused(db: Database,
                                                                  corp: builders.Corp) -> None:
    import gc

    own = db.run(lambda s: own_payees(s, 1))
    good = transfer_file([(OWN, own[0][0], own[0][1], own[0][2], 1_000)])
    db.run(lambda s: bulk.from_zengin(s, corp.actor("general"), good))
    assert gc.isenabled()
    with pytest.raises(BulkFileRefused):
        db.run(lambda s: bulk.from_zengin(s, corp.actor("general"), good[:-5]))
    assert gc.isenabled()
    with pytest.raises(BulkFileRefused):
        db.run(lambda s: bulk.from_csv(s, corp.actor("general"), "1,2,3\n", kind=BulkKind.BULK,
                                       value_date=VALUE_DATE))
    assert gc.isenabled()
