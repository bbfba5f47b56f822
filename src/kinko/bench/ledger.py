"""`kinko bench ledger`: transfers/s through the ledger service vs pgbench on the same server.

The figure alone says little — it moves with the machine, the disk and the server settings — so
the run measures its own reference: pgbench's built-in ``tpcb-like`` script (a comparable small
write transaction: three balance updates, a read and an insert) with the same client count for
the same total duration, on the same server, in rounds that alternate with the ledger's. The
ratio is the figure that travels between machines.

Both phases run in scratch databases created for the run and dropped afterwards, also after an
error or Ctrl-C, so the bench can be pointed at any server without touching its data.

The ledger clients are processes, not threads: one Python process spends most of a transfer in
the interpreter (building the statement, reading the result), and threads would queue on the
GIL long before PostgreSQL is busy.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import queue
import random
import shutil
import signal
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Barrier
from typing import Any

import typer
from sqlalchemy import URL, Engine, create_engine, func, select, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from kinko.bench.pg import (
    BenchError,
    checkpoint,
    last_line,
    libpq_env,
    measured,
    one_line,
    parse_tps,
    percentile_ms,
    postgres_url,
    scratch_databases,
)
from kinko.db.engine import Database
from kinko.db.migrate import upgrade
from kinko.ledger.books import ensure_books
from kinko.ledger.errors import InsufficientFunds
from kinko.ledger.models import Account, AccountType, JournalEntry
from kinko.ledger.rules import Leg
from kinko.ledger.service import (
    EntryRequest,
    check_books,
    open_account,
    post_many,
    transfer_alone,
)
from kinko.parties.models import Branch

ACCOUNTS = 1_000
HOT_ACCOUNTS = 10          # e.g. a merchant's or a payroll account: many writers on one row
HOT_SHARE = 0.2            # share of transfers that touch a hot account
BALANCE = 100_000_000      # large enough that random small transfers are (almost) never refused
MAX_TRANSFER = 10_000
BATCH_SIZE = 500           # transfers per post_many transaction with --batch
WARMUP_TRANSACTIONS = 20   # per client, before the clock starts (prepared statements, caches)
ACTOR = "bench"


# --- figures ------------------------------------------------------------------------------

@dataclass
class ClientResult:
    """What one client process reports back: counts and per-transaction latencies (s)."""

    index: int
    transfers: int = 0
    refused: int = 0
    warmup_transfers: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    error: str | None = None


@dataclass(frozen=True)
class Report:
    clients: int
    seconds: float
    batch: bool
    rounds: int
    transfers: int
    refused: int
    transfers_per_s: float
    postings_per_s: float
    pgbench_tps: float
    pgbench_scale: int
    p50_ms: float
    p99_ms: float
    total_before: int
    total_after: int
    books_ok: bool
    entries_match: bool
    cpus: int

    @property
    def ratio(self) -> float:
        return self.transfers_per_s / self.pgbench_tps if self.pgbench_tps else 0.0

    @property
    def total_conserved(self) -> bool:
        return self.total_before == self.total_after and self.books_ok and self.entries_match

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "clients": self.clients, "seconds": self.seconds, "batch": self.batch,
            "rounds": self.rounds,
            "transfers": self.transfers, "refused": self.refused,
            "transfers_per_s": round(self.transfers_per_s, 1),
            "pgbench_tps": round(self.pgbench_tps, 1), "pgbench_scale": self.pgbench_scale,
            "ratio": round(self.ratio, 3),
            "p50_ms": round(self.p50_ms, 3), "p99_ms": round(self.p99_ms, 3),
            "total_conserved": self.total_conserved, "books_ok": self.books_ok,
            "cpus": self.cpus,
        }
        if self.batch:
            out["postings_per_s"] = round(self.postings_per_s, 1)
            out["batch_size"] = BATCH_SIZE
        return out


# --- URLs and scratch databases -------------------------------------------------------------


def _admin_engine(url: URL) -> Engine:
    return create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=False,
                         connect_args={"connect_timeout": 10})


# --- the ledger phase -----------------------------------------------------------------------

def _open_accounts(session: Session) -> list[int]:
    """A branch and ACCOUNTS customer accounts funded from the bank's cash book."""
    session.add(Branch(code="001", name="ベンチ支店", name_kana="ﾍﾞﾝﾁ"))
    session.flush()
    cash = ensure_books(session, actor=ACTOR)["cash"]
    ids = [open_account(session, branch_code="001", number=f"{n:07d}",
                        account_type=AccountType.ORDINARY, holder_kana="ﾍﾞﾝﾁ ﾀﾛｳ",
                        customer_id=None, actor=ACTOR).id
           for n in range(1, ACCOUNTS + 1)]
    funding = post_many(session, [
        EntryRequest(kind="deposit", legs=[Leg(cash, -BALANCE), Leg(account_id, BALANCE)])
        for account_id in ids
    ], actor=ACTOR)
    if funding.refused:  # pragma: no cover - a fresh cash book with an unlimited line
        raise BenchError(f"funding refused: {funding.refused}")
    return ids


def _totals(db: Database, account_ids: Sequence[int]) -> tuple[int, bool, int]:
    """(Σ customer balances, check_books ok, number of transfer entries)."""
    with db.transaction() as session:
        total = session.scalar(
            select(func.coalesce(func.sum(Account.balance), 0))
            .where(Account.id.in_(account_ids))
        )
        books = check_books(session)
        entries = session.scalar(
            select(func.count()).select_from(JournalEntry).where(JournalEntry.kind == "transfer")
        )
    return int(total or 0), books.ok, int(entries or 0)


class _Picker:
    """Random transfers over ``account_ids``; HOT_SHARE of them touch one of the first few."""

    def __init__(self, seed: int, account_ids: Sequence[int], hot: int = HOT_ACCOUNTS) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - load shape, not security
        self.ids = list(account_ids)
        self.hot = self.ids[:hot]

    def pair(self) -> tuple[int, int, int]:
        rng = self.rng
        debit = rng.choice(self.ids)
        credit = rng.choice(self.hot) if rng.random() < HOT_SHARE else rng.choice(self.ids)
        while credit == debit:
            credit = rng.choice(self.ids)
        if rng.random() < 0.5:  # hot accounts both pay and receive, so none runs dry
            debit, credit = credit, debit
        return debit, credit, rng.randint(1, MAX_TRANSFER)


def client_accounts(account_ids: Sequence[int], index: int, clients: int, batch: bool
                    ) -> list[int]:
    """The accounts one client moves money between.

    Single transfers share every account and the hot ones: row-lock contention between
    clients is part of what is measured. A batch locks all its accounts for the whole
    transaction (post_many locks them up front, in id order), so batches that share accounts
    run one after another whatever the machine; each batch client therefore works on its own
    slice, like separate customers' bulk files (総合振込) — the figure is then the bulk rate.
    """
    return list(account_ids) if not batch else list(account_ids[index::clients])


@dataclass(frozen=True)
class _Plan:
    url: str
    index: int
    rounds: int
    round_seconds: float
    batch: bool
    account_ids: list[int]


def _client(plan: _Plan, barrier: Barrier, results: Any) -> None:
    """One client process: warm up, then transfer through every round the parent starts."""
    # Ctrl-C reaches the whole process group; the parent decides what ends, and how.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    result = ClientResult(index=plan.index)
    # One connection per process: each process runs one transaction at a time, so a bigger
    # pool would only hold idle server backends.
    db = Database(plan.url, pool_size=1)
    try:
        # A batch client's slice is an eighth of the accounts or so: fewer hot ones in it.
        picker = _Picker(plan.index, plan.account_ids,
                         hot=HOT_ACCOUNTS if not plan.batch else HOT_ACCOUNTS // 2)
        serial = 0

        def one() -> int:
            """One transaction; returns the number of transfers it acknowledged."""
            nonlocal serial
            if plan.batch:
                entries = []
                for _ in range(BATCH_SIZE):
                    debit, credit, amount = picker.pair()
                    serial += 1
                    entries.append(EntryRequest(
                        kind="transfer", idempotency_key=f"b{plan.index}-{serial}",
                        legs=[Leg(debit, -amount), Leg(credit, amount)]))
                done = db.run(post_many, entries, actor=ACTOR)
                result.refused += len(done.refused)
                return len(done.posted)
            debit, credit, amount = picker.pair()
            serial += 1
            try:
                # The post is one statement on PostgreSQL: sent in autocommit, without
                # BEGIN/COMMIT and without a Session, it is one round trip (post_alone).
                transfer_alone(
                    db, debit_account_id=debit, credit_account_id=credit, amount=amount,
                    idempotency_key=f"t{plan.index}-{serial}", actor=ACTOR)
            except InsufficientFunds:
                result.refused += 1
                return 0
            return 1

        # Outside the clock: connect, let psycopg prepare the statements, warm the caches.
        for _ in range(1 if plan.batch else WARMUP_TRANSACTIONS):
            result.warmup_transfers += one()
        clock = time.perf_counter
        latencies = result.latencies
        for _ in range(plan.rounds):
            barrier.wait()          # the parent starts the round with everyone
            start = clock()
            deadline = start + plan.round_seconds
            while True:
                t0 = clock()
                if t0 >= deadline:
                    break
                result.transfers += one()
                latencies.append(clock() - t0)
            result.elapsed += clock() - start
            barrier.wait()          # the parent runs pgbench once every client is idle
    except Exception as exc:  # any failure is reported to the parent as one line
        result.error = f"client {plan.index}: {type(exc).__name__}: {one_line(exc)}"
        with suppress(Exception):
            barrier.abort()
    finally:
        db.dispose()
    results.put(result)


def rounds_for(seconds: float) -> int:
    """How many ledger/pgbench rounds to alternate: about five seconds each.

    The two measurements alternate rather than run one after the other, so that load from
    anything else on the machine (a build, a test run) falls on both alike and the ratio stays
    meaningful; rounds much shorter than a few seconds would measure start-up instead.
    """
    return max(1, round(seconds / 5))


def _run_rounds(url: URL, pgbench_run: Callable[[float], float], clients: int,
                seconds: float, batch: bool, account_ids: list[int]
                ) -> tuple[list[ClientResult], list[float]]:
    """Alternate ledger rounds (all clients) and pgbench rounds; return both sets of figures."""
    rounds = rounds_for(seconds)
    round_seconds = seconds / rounds
    # spawn, not fork: a forked child would share the parent's engine, sockets and locks.
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(clients + 1)   # the clients and the parent, which paces the rounds
    results = ctx.Queue()
    url_text = url.render_as_string(hide_password=False)
    procs = [
        ctx.Process(target=_client, name=f"kinko-bench-{i}", args=(
            _Plan(url_text, i, rounds, round_seconds, batch,
                  client_accounts(account_ids, i, clients, batch)),
            barrier, results))
        for i in range(clients)
    ]
    tps: list[float] = []
    try:
        # Started with SIGINT ignored, so a Ctrl-C during a child's start-up cannot print a
        # traceback from it either (an ignored signal stays ignored across exec).
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            for proc in procs:
                proc.start()
        finally:
            signal.signal(signal.SIGINT, previous)
        try:
            for number in range(rounds):
                # Start-up and warm-up of 64 processes on two cores takes a while.
                barrier.wait(timeout=180 if number == 0 else None)
                barrier.wait(timeout=round_seconds + 120)
                tps.append(pgbench_run(round_seconds))
        except threading.BrokenBarrierError:
            pass  # a client failed: its result says why (below)
        collected = _collect(procs, results, clients)
        errors = [r.error for r in collected if r.error]
        if errors:
            raise BenchError(errors[0])
        if len(tps) < rounds:
            raise BenchError("the clients did not finish their rounds")
        return collected, tps
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=5)


def _collect(procs: Sequence[BaseProcess], results: Any, clients: int) -> list[ClientResult]:
    collected: list[ClientResult] = []
    while len(collected) < clients:
        try:
            collected.append(results.get(timeout=1.0))
        except queue.Empty:
            if any(p.exitcode not in (None, 0) for p in procs):
                raise BenchError("a client process died") from None
    for proc in procs:
        proc.join(timeout=10)
    return sorted(collected, key=lambda r: r.index)


def _prepare_ledger(url: URL) -> tuple[list[int], tuple[int, bool, int]]:
    url_text = url.render_as_string(hide_password=False)
    try:
        upgrade(url_text)
    except SQLAlchemyError as exc:
        raise BenchError(f"building the scratch database with the migrations failed: "
                         f"{one_line(exc)}") from exc
    db = Database(url_text, pool_size=1)
    try:
        with db.transaction() as session:
            account_ids = _open_accounts(session)
        return account_ids, _totals(db, account_ids)
    finally:
        db.dispose()


def _ledger_totals(url: URL, account_ids: Sequence[int]) -> tuple[int, bool, int]:
    db = Database(url.render_as_string(hide_password=False), pool_size=1)
    try:
        return _totals(db, account_ids)
    finally:
        db.dispose()


# --- the reference ------------------------------------------------------------------------

def pgbench_scale(clients: int) -> int:
    """The pgbench scale: the number of rows in its hottest table (pgbench_branches).

    tpcb-like updates one random branch row per transaction. A scale equal to the client count
    is pgbench's own advice (fewer branches than clients would measure lock waits on one row);
    it is still small (100,000 pgbench accounts per unit) and initialises in seconds.
    """
    return max(1, clients)


def _pgbench_init(pgbench: str, url: URL, scale: int) -> None:
    init = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [pgbench, "-i", "-q", "-s", str(scale), str(url.database)],
        env=libpq_env(url), capture_output=True, text=True, check=False,
    )
    if init.returncode != 0:
        raise BenchError(f"pgbench -i failed: {last_line(init.stderr)}")


def _pgbench_round(pgbench: str, url: URL, clients: int, seconds: float) -> float:
    bench = subprocess.run(  # noqa: S603
        [pgbench, "-b", "tpcb-like", "-c", str(clients), "-j", str(clients),
         "-T", str(max(1, round(seconds))), "-n", str(url.database)],
        env=libpq_env(url), capture_output=True, text=True, check=False,
    )
    if bench.returncode != 0:
        raise BenchError(f"pgbench failed: {last_line(bench.stderr)}")
    return parse_tps(bench.stdout)


# --- the command ----------------------------------------------------------------------------

def measure(database_url: str, clients: int, seconds: float, batch: bool) -> Report:
    """Run both measurements and return the figures; raises BenchError for a refused setup."""
    url = postgres_url(database_url)
    pgbench = shutil.which("pgbench")
    if pgbench is None:
        raise BenchError("pgbench is not on PATH (Debian: apt-get install postgresql-client)")
    admin = _admin_engine(url)
    try:
        try:
            with admin.connect() as conn:
                conn.execute(text("SELECT 1"))
        except DBAPIError as exc:
            where = f"{url.host or 'localhost'}:{url.port or 5432}"
            raise BenchError(f"cannot connect to PostgreSQL at {where}: {one_line(exc)}"
                             ) from exc
        with scratch_databases(admin, url, "kinko_bench", "kinko_pgbench") as (ledger_url,
                                                                               pgbench_url):
            account_ids, before = _prepare_ledger(ledger_url)
            scale = pgbench_scale(clients)
            _pgbench_init(pgbench, pgbench_url, scale)
            checkpoint(admin)  # neither measurement pays for the set-up's dirty pages

            def reference(round_seconds: float) -> float:
                return _pgbench_round(pgbench, pgbench_url, clients, round_seconds)

            results, tps = _run_rounds(ledger_url, reference, clients, seconds, batch,
                                       account_ids)
            after = _ledger_totals(ledger_url, account_ids)
    finally:
        admin.dispose()
    transfers = sum(r.transfers for r in results)
    warmup = sum(r.warmup_transfers for r in results)
    rate = sum(r.transfers / r.elapsed for r in results if r.elapsed > 0)
    latencies = [x for r in results for x in r.latencies]
    return Report(
        clients=clients, seconds=seconds, batch=batch, rounds=len(tps), transfers=transfers,
        refused=sum(r.refused for r in results), transfers_per_s=rate,
        postings_per_s=2 * rate, pgbench_tps=statistics.fmean(tps), pgbench_scale=scale,
        p50_ms=percentile_ms(latencies, 50), p99_ms=percentile_ms(latencies, 99),
        total_before=before[0], total_after=after[0], books_ok=before[1] and after[1],
        # Every acknowledged transfer is exactly one entry, and a refused one left none.
        entries_match=after[2] - before[2] == transfers + warmup,
        cpus=os.cpu_count() or 0,
    )


def _print(report: Report) -> None:
    mode = f"batched, {BATCH_SIZE} transfers per transaction" if report.batch else "single"
    unit = "per transaction" if report.batch else "per transfer"
    entries = "every acknowledged transfer is one entry" if report.entries_match else (
        "ENTRY COUNT DIFFERS from acknowledged transfers")
    lines = [
        f"ledger transfers ({mode}), {report.clients} client processes, {report.seconds:g} s, "
        f"{report.cpus} CPUs",
        f"  transfers/s        {report.transfers_per_s:12,.1f}",
    ]
    if report.batch:
        lines.append(f"  postings/s         {report.postings_per_s:12,.1f}")
    lines += [
        f"  pgbench tpcb-like  {report.pgbench_tps:12,.1f} TPS (scale {report.pgbench_scale}, "
        f"{report.rounds} alternating rounds)",
        f"  ratio              {report.ratio:12.3f}  (transfers/s ÷ pgbench TPS)",
        f"  latency p50        {report.p50_ms:12.2f} ms {unit}",
        f"  latency p99        {report.p99_ms:12.2f} ms {unit}",
        f"  transfers          {report.transfers:12,d}  ({report.refused:,d} refused)",
        f"  Σ balances         {report.total_before:,d} → {report.total_after:,d}",
        f"  conserved          {'yes' if report.total_conserved else 'NO'}"
        f"  (check_books {'ok' if report.books_ok else 'FAILED'}; {entries})",
    ]
    typer.echo("\n".join(lines))


def run(database_url: str, clients: int, seconds: float, batch: bool, json_output: bool) -> None:
    """`kinko bench ledger`: print the figures; exit 2 with one line when the setup is refused."""
    report = measured(lambda: measure(database_url, clients, seconds, batch),
                      interrupted="interrupted; scratch databases dropped")
    _print(report)
    if json_output:
        typer.echo(json.dumps(report.as_json(), ensure_ascii=False))
    if not report.total_conserved:
        raise typer.Exit(1)
