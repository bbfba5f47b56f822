"""`kinko bench bulk`: a 総合振込 of N payees through the real services on PostgreSQL.

Two figures (BULK-1):

- ``validate_s``: seconds to take the Zengin file as uploaded — parse and validate every
  record (format, character classes, totals), check every bank and branch code against
  zengin-code and this bank's branches, check the value date against the bank calendar, and
  store the request and its payee lines (one transaction, as the upload route does);
- ``postings_per_s``: postings written per second while the batch runs the approved request
  on its value date: the funding hold, the one debit of total + fees, and each payee's credit
  (this bank) or clearing leg (other banks, 10 % by default, handed to the simulated network),
  chunk by chunk, each chunk one transaction.

``total_conserved``: the sum of every account's balance is the same before and after, and
``check_books`` rebuilds every balance from its postings. The run uses a scratch database on
the given server, dropped afterwards (also on Ctrl-C or kill).
"""

from __future__ import annotations

import json
import os
import random
import time
from dataclasses import asdict, dataclass
from datetime import date, datetime

import typer
from sqlalchemy import URL, create_engine, func, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from kinko import clock
from kinko.bench.pg import BenchError, measured, one_line, postgres_url, scratch_databases
from kinko.clihelpers import say
from kinko.db.engine import Database
from kinko.db.migrate import upgrade

ACTOR = "bench"
FRIDAY = datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST)
VALUE_DATE = date(2026, 11, 24)
RUN_AT = datetime(2026, 11, 24, 9, 0, tzinfo=clock.JST)
OTHER_BANKS = [("0001", "001"), ("0005", "001"), ("0009", "005")]


@dataclass
class Report:
    payees: int
    other_bank_share: float
    validate_s: float
    execute_s: float
    postings: int
    postings_per_s: float
    total_conserved: bool
    cpus: int
    runners: int


def _setup(db: Database, payees: int, other_share: float, seed: int) -> tuple[int, int, bytes]:
    """A Comprehensive contract (master maker, admin approver), its funded representative
    account, ``payees`` accounts at this bank, and the 21 file paying them."""
    from kinko.auth import enrolment, tokens
    from kinko.auth.models import Course, TokenIssueReason, TokenKind, UserRole
    from kinko.ledger.books import ensure_books
    from kinko.ledger.models import Account, AccountType
    from kinko.ledger.rules import Leg
    from kinko.ledger.service import EntryRequest, open_account, post
    from kinko.parties.models import Branch, Customer, CustomerKind
    from kinko.zengin import Options
    from kinko.zengin import records as zr
    from kinko.zengin.writer import build_file, build_group, write

    rng = random.Random(seed)  # noqa: S311 - repeatable bench data, not secrets
    own_share = 1.0 - other_share
    lines: list[zr.Record] = []
    with db.transaction() as s:
        s.add(Branch(code="001", name="本店", name_kana="ﾎﾝﾃﾝ"))
        s.flush()
        books = ensure_books(s, actor=ACTOR)
        c = Customer(number="B0000001", kind=CustomerKind.CORPORATE, name="株式会社ベンチ",
                     name_kana="ｶ)ﾍﾞﾝﾁ", branch_code="001", email="bench@example.jp")
        s.add(c)
        s.flush()
        rep = open_account(s, branch_code="001", number="0000001",
                           account_type=AccountType.ORDINARY, holder_kana="ｶ)ﾍﾞﾝﾁ",
                           customer_id=c.id, actor=ACTOR)
        post(s, EntryRequest(kind="deposit", legs=[Leg(books["cash"], -10**14),
                                                   Leg(rep.id, 10**14)]), actor=ACTOR)
        master = enrolment.enrol_corporate(
            s, customer_id=c.id, course=Course.COMPREHENSIVE, representative_account_id=rep.id,
            temporary_login_password=_password(), temporary_confirmation_password=_password(),
            token_kind=TokenKind.HARD, actor=ACTOR)
        admin = enrolment.add_corporate_user(
            s, contract_id=master.contract_id, role=UserRole.ADMIN, login_id="benchadm1",
            temporary_login_password=_password(), temporary_confirmation_password=_password(),
            actor=ACTOR)
        for n, user in enumerate((master, admin)):
            tokens.issue_hard_token(s, contract_id=master.contract_id, serial=f"BENCH{n}",
                                    reason=TokenIssueReason.INITIAL, user_id=user.id,
                                    activate=True, fee_accounts=tokens.FeeAccounts(
                                        books["fee_income"]), actor=ACTOR)
        own = int(payees * own_share)
        today = clock.today()
        # The payees' accounts: written in bulk (the bench's set-up, not what it measures).
        s.execute(insert(Account), [
            {"branch_code": "001", "number": f"{n + 2:07d}", "type": AccountType.ORDINARY,
             "customer_id": None, "holder_kana": f"ﾄﾘﾋｷｻｷ {n}"[:30], "currency": "JPY",
             "state": "active", "balance": 0, "held": 0, "overdraft_limit": 0,
             "opened_on": today} for n in range(own)])
        settings_code = _own_bank_code()
        for n in range(payees):
            if n < own:
                bank, branch, number = settings_code, "001", f"{n + 2:07d}"
            else:
                bank, branch = rng.choice(OTHER_BANKS)
                number = f"{rng.randint(1, 9_999_999):07d}"
            lines.append(zr.TransferData(
                bank_code=bank, branch_code=branch, account_type="1", account_number=number,
                payee_name=f"ﾄﾘﾋｷｻｷ {n}"[:30], amount=rng.randint(1, 2_000_000),
                customer_code1="", customer_code2=""))
        rng.shuffle(lines)
        header = zr.TransferHeader(originator_code="1234567890", originator_name="ｶ)ﾍﾞﾝﾁ",
                                   value_date=VALUE_DATE, bank_code=settings_code,
                                   branch_code="001", account_type="1",
                                   account_number="0000001")
        data = write(build_file([build_group(header, lines)]),
                     Options(reference_date=VALUE_DATE))
        return master.id, admin.id, data


def _password() -> str:
    """A throwaway temporary password (letters and digits) for the bench's users."""
    import secrets

    return f"Kb{secrets.token_hex(5)}7"


def _own_bank_code() -> str:
    from kinko.config import get_settings

    return get_settings().bank_code


def _totals(db: Database) -> tuple[int, bool, int]:
    from kinko.ledger.models import Account, Posting
    from kinko.ledger.service import check_books

    with db.transaction() as s:
        total = int(s.scalar(select(func.coalesce(func.sum(Account.balance), 0))) or 0)
        ok = check_books(s).ok
        postings = int(s.scalar(select(func.count()).select_from(Posting)) or 0)
    return total, ok, postings


def _warm_up() -> None:
    """What a serving process and a batch runner have long since done before the clock of a
    run starts: the year's holidays loaded (jpholiday takes a few tenths of a second the first
    time) and the runner's modules imported (0.5–0.7 s in a fresh process)."""
    from kinko.batch.service import load_runner
    from kinko.calendar import get_calendar

    get_calendar().is_business_day(VALUE_DATE)
    load_runner()


def _run_side_by_side(db: Database, runners: int) -> None:
    """``runners`` batch runners at once, each as `kinko batch run` (threads of this process
    with a connection each; the outbox hands each message to one of them)."""
    from concurrent.futures import ThreadPoolExecutor

    from kinko.batch.service import run_due

    if runners == 1:
        run_due(db, at=RUN_AT)
        return
    with ThreadPoolExecutor(runners) as pool:
        for done in [pool.submit(run_due, db, at=RUN_AT) for _ in range(runners)]:
            done.result()


def measure(database_url: str, payees: int, other_share: float, runners: int = 1) -> Report:
    from kinko.auth.models import AuthUser
    from kinko.bulk import service as bulk
    from kinko.clearing.models import OutgoingTransfer  # noqa: F401 - tables known
    from kinko.instructions.service import Actor, StepUpProof

    url: URL = postgres_url(database_url)
    admin_engine = create_engine(url, isolation_level="AUTOCOMMIT",
                                 connect_args={"connect_timeout": 10})
    try:
        try:
            with admin_engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except DBAPIError as exc:
            raise BenchError(f"cannot connect to PostgreSQL: {one_line(exc)}") from exc
        with scratch_databases(admin_engine, url, "kinko_bench_bulk") as (scratch,):
            rendered = scratch.render_as_string(hide_password=False)
            upgrade(rendered)
            db = Database(rendered)
            try:
                clock.set_now(FRIDAY)
                master_id, admin_id, data = _setup(db, payees, other_share, seed=12)

                def actor(user_id: int) -> Actor:
                    with db.transaction() as s:
                        u = s.get(AuthUser, user_id)
                        assert u is not None
                        return Actor(u.id, u.contract_id, u.customer_id)

                maker, approver = actor(master_id), actor(admin_id)
                _warm_up()
                before = _totals(db)
                started = time.perf_counter()
                request_id = db.run(lambda s: bulk.from_zengin(s, maker, data).id)
                validate_s = time.perf_counter() - started

                def approve(s: Session) -> None:
                    from kinko.bulk.models import BulkRequest

                    req = s.get(BulkRequest, request_id)
                    assert req is not None
                    bulk.approve(s, approver, request_id, digest=req.digest,
                                 step_up=StepUpProof(approver.user_id, req.digest, clock.now()))

                db.run(approve)
                clock.set_now(RUN_AT)
                started = time.perf_counter()
                _run_side_by_side(db, runners)
                execute_s = time.perf_counter() - started
                after = _totals(db)
            finally:
                clock.set_now(None)
                db.dispose()
    finally:
        admin_engine.dispose()
    postings = after[2] - before[2]
    return Report(payees=payees, other_bank_share=other_share, validate_s=round(validate_s, 3),
                  execute_s=round(execute_s, 3), postings=postings,
                  postings_per_s=round(postings / execute_s, 1) if execute_s else 0.0,
                  total_conserved=before[0] == after[0] and before[1] and after[1],
                  cpus=os.cpu_count() or 0, runners=runners)


def run(database_url: str, payees: int, other_share: float, json_output: bool,
        runners: int = 1) -> None:
    report = measured(lambda: measure(database_url, payees, other_share, runners),
                      interrupted="interrupted; scratch database dropped")
    typer.echo(say("総合振込 {payees:,} 件（他行 {share:.0%}）", payees=report.payees,
                   share=report.other_bank_share))
    typer.echo(f"  {say('受付・検証')}: {report.validate_s:.2f} s (target ≤ 5 s for 100,000)")
    typer.echo(f"  {say('実行')} ({report.runners} runners): {report.postings:,} postings in "
               f"{report.execute_s:.2f} s = "
               f"{report.postings_per_s:,.0f} postings/s (target ≥ 20,000)")
    typer.echo(f"  {say('残高合計の保存')}: {report.total_conserved}")
    if json_output:
        typer.echo(json.dumps(asdict(report), ensure_ascii=False))
    if not report.total_conserved:
        raise typer.Exit(1)
