"""`kinko bench debit`: a 100,000-record 口座振替 (91) file through the whole cycle (DD-1).

In a scratch database on the given PostgreSQL server (dropped afterwards, also on Ctrl-C or
``kill``): a company with a direct debit agreement, ``records`` payers at this bank with their
依頼書 and funds (about 2 % short of funds, 1 % without a 依頼書, so every path is taken), and
the request file. Then, timed:

* ``validate_s``: reading and validating the file against the agreement (format, 委託者コード,
  bank, cutoff) — what an upload does before it writes anything; the best of three runs;
* ``upload_s``: validation plus keeping the batch and its items;
* ``debits_per_s``: records decided per second on the debit day (``run_due``: chunks of
  5,000, each one transaction posting through ``post_many``);
* ``result_s``: writing the 91 result file (and reading it back, as the writer does).

``total_conserved`` is true when the payers lost exactly what the batch collected, the
settlement paid the company that total less the fees, and the books balance.
"""

from __future__ import annotations

import gc
import json
import time
from datetime import date, datetime

import typer
from sqlalchemy import create_engine, func, select, text

from kinko import clock
from kinko.auth.models import AuthContract, Course, Product
from kinko.bench.pg import BenchError, measured, postgres_url, scratch_databases
from kinko.config import get_settings
from kinko.corporate_services import debits
from kinko.corporate_services.models import AgreementKind, DebitAgreement, DebitBatch
from kinko.db.copy import copy_rows
from kinko.db.engine import Database
from kinko.db.migrate import upgrade
from kinko.ledger.books import book, ensure_books
from kinko.ledger.models import AccountType, JournalEntry, Posting
from kinko.ledger.rules import Leg
from kinko.ledger.service import EntryRequest, check_books, open_account, post, post_many
from kinko.parties.models import Branch, Customer, CustomerKind
from kinko.zengin import records as r
from kinko.zengin.reader import Options
from kinko.zengin.writer import build_file, build_group, write

ACTOR = "bench"
UPLOAD = datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST)
REQUESTED = date(2026, 12, 7)
AMOUNT = 3_000
ORIGINATOR = "1000000001"


def setup_world(db: Database, records: int) -> tuple[int, int, list[tuple[str, str]]]:
    """The company, its agreement and the payers; returns (agreement, company account, payers)."""
    with db.transaction() as s:
        s.add(Branch(code="001", name="本店", name_kana="ﾎﾝﾃﾝ"))
        ensure_books(s, actor=ACTOR)
        company = Customer(number="B0000001", kind=CustomerKind.CORPORATE, name="ベンチ商事",
                           name_kana="ﾍﾞﾝﾁｼﾖｳｼﾞ", branch_code="001")
        s.add(company)
        s.flush()
        account = open_account(s, branch_code="001", number="0000001",
                               account_type=AccountType.CHECKING, holder_kana="ﾍﾞﾝﾁｼﾖｳｼﾞ",
                               customer_id=company.id, actor=ACTOR)
        contract = AuthContract(customer_id=company.id, product=Product.CORPORATE_002,
                                course=Course.BASIC, representative_account_id=account.id,
                                created_at=clock.now())
        s.add(contract)
        s.flush()
        agreement = debits.create_agreement(
            s, contract_id=contract.id, kind=AgreementKind.DIRECT_DEBIT,
            originator_code=ORIGINATOR, originator_name="ﾍﾞﾝﾁｼﾖｳｼﾞ",
            settlement_account_id=account.id, actor=ACTOR)
        agreement_id, company_account = agreement.id, account.id
        payers = [("001", f"{1_000_000 + i:07d}") for i in range(records)]
        copy_rows(s, "accounts", ("branch_code", "number", "type", "holder_kana", "currency",
                                  "state", "balance", "held", "overdraft_limit", "opened_on"),
                  [(b, n, "ordinary", "ﾔﾏﾀﾞ ﾀﾛｳ", "JPY", "active", 0, 0, 0, UPLOAD.date())
                   for b, n in payers])
        # About 1 % of the payers never signed a 依頼書.
        debits.register_mandates(s, agreement_id,
                                 [p for i, p in enumerate(payers) if i % 100 != 7],
                                 actor=ACTOR)
    with db.transaction() as s:
        cash = book(s, "cash")
        ids = list(s.execute(select(text("id")).select_from(text("accounts")).where(
            text("branch_code = '001' AND number >= '1000000'")).order_by(text("id"))
        ).scalars())
        # About 2 % are short of funds on the day.
        entries = [EntryRequest(kind="deposit", legs=[
            Leg(cash, -(AMOUNT // 2 if i % 50 == 3 else AMOUNT * 2)),
            Leg(account_id, AMOUNT // 2 if i % 50 == 3 else AMOUNT * 2)])
            for i, account_id in enumerate(ids)]
        for start in range(0, len(entries), 5_000):
            post_many(s, entries[start:start + 5_000], actor=ACTOR)
        post(s, EntryRequest(kind="deposit", legs=[Leg(cash, -1_000_000),
                                                   Leg(company_account, 1_000_000)]),
             actor=ACTOR)
    return agreement_id, company_account, payers


def request_file(payers: list[tuple[str, str]]) -> bytes:
    bank = get_settings().bank_code
    header = r.DebitHeader(originator_code=ORIGINATOR, originator_name="ﾍﾞﾝﾁｼﾖｳｼﾞ",
                           debit_date=REQUESTED, bank_code=bank, branch_code="001")
    data = [r.DebitData(bank_code=bank, branch_code=b, account_type="1", account_number=n,
                        payer_name="ﾔﾏﾀﾞ ﾀﾛｳ", amount=AMOUNT, customer_number=f"{i:020d}")
            for i, (b, n) in enumerate(payers)]
    return write(build_file([build_group(header, data, debit_result=False)]),
                 Options(reference_date=UPLOAD.date()))


def _conserved(db: Database, batch_id: int, company_account: int) -> bool:
    with db.transaction() as s:
        batch = s.get(DebitBatch, batch_id)
        assert batch is not None
        debited = -int(s.execute(select(func.coalesce(func.sum(Posting.amount), 0)).join(
            JournalEntry, JournalEntry.id == Posting.entry_id).where(
            JournalEntry.kind == "direct_debit", Posting.amount < 0)).scalar_one())
        paid = int(s.execute(select(func.coalesce(func.sum(Posting.amount), 0)).where(
            Posting.entry_id == batch.settlement_entry_id,
            Posting.account_id == company_account)).scalar_one())
        books = check_books(s)
        return (debited == batch.collected_amount == paid + batch.fee_total
                and books.debits == books.credits and not books.mismatched)


def _validation(agreement: DebitAgreement, data: bytes) -> float:
    """Best of three (no database: the file and the agreement only), after a collection, so
    the set-up's garbage does not land in the figure."""
    gc.collect()
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        debits.check_file(agreement, data)
        best = min(best, time.perf_counter() - started)
    return best


def _measure(database_url: str, records: int) -> dict[str, object]:
    url = postgres_url(database_url)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with scratch_databases(admin, url, "kinko_bench_debit") as (scratch,):
            rendered = scratch.render_as_string(hide_password=False)
            upgrade(rendered)
            db = Database(rendered)
            try:
                clock.set_now(UPLOAD)
                agreement_id, company_account, payers = setup_world(db, records)
                data = request_file(payers)
                with db.transaction() as s:
                    agreement = s.get(DebitAgreement, agreement_id)
                    assert agreement is not None
                    s.expunge(agreement)
                validate_s = _validation(agreement, data)
                started = time.perf_counter()
                with db.transaction() as s:
                    batch_id = debits.upload(s, s.merge(agreement), data, user_id=None,
                                             actor=ACTOR).id
                upload_s = time.perf_counter() - started
                with db.transaction() as s:
                    batch = s.get(DebitBatch, batch_id)
                    assert batch is not None
                    debit_day, settlement_day = batch.debit_date, batch.settlement_date
                clock.set_now(datetime.combine(debit_day, UPLOAD.timetz()))
                started = time.perf_counter()
                debits.run_due(db, actor=ACTOR)
                debit_s = time.perf_counter() - started
                started = time.perf_counter()
                with db.transaction() as s:
                    batch = s.get(DebitBatch, batch_id)
                    assert batch is not None
                    result = debits.result_file(s, batch)
                result_s = time.perf_counter() - started
                clock.set_now(datetime.combine(settlement_day, UPLOAD.timetz()))
                debits.run_due(db, actor=ACTOR)
                with db.transaction() as s:
                    batch = s.get(DebitBatch, batch_id)
                    assert batch is not None
                    collected, state = batch.collected_count, batch.state.value
                conserved = _conserved(db, batch_id, company_account)
            finally:
                clock.set_now(None)
                db.dispose()
    finally:
        admin.dispose()
    return {"records": records, "file_bytes": len(data), "validate_s": round(validate_s, 3),
            "upload_s": round(upload_s, 3), "debit_s": round(debit_s, 3),
            "debits_per_s": round(records / debit_s, 1), "result_s": round(result_s, 3),
            "result_bytes": len(result), "collected": collected, "state": state,
            "total_conserved": conserved}


def run(*, database_url: str, records: int, json_output: bool) -> None:
    if records < 1:
        raise BenchError("--records must be at least 1")
    figures = measured(lambda: _measure(database_url, records),
                       interrupted="interrupted: the scratch database was dropped")
    if json_output:
        typer.echo(json.dumps(figures))
        return
    for key, value in figures.items():
        typer.echo(f"{key:>16}: {value}")
