"""`kinko bench api`: confirmed transfers/s through the real HTTP API vs pgbench on the server.

What is measured is the whole two-step transfer as a customer's app makes it: POST
/api/v1/transfers (enter, with a fresh ``Idempotency-Key``) → read the card cells the step-up
plan asks for → POST /api/v1/transfers/{id}/confirm with the answers from the customer's
confirmation-number card → carry on with the rotated session token. Every fifth iteration also
asks for the balances (GET /api/v1/accounts), timed on its own.

The app is the real one (``kinko.web.app.create_app``) served by uvicorn in a subprocess on
127.0.0.1, on a scratch PostgreSQL database created for the run and dropped afterwards, also
after an error or Ctrl-C. Each client is a process with its own customer (retail-001: its own
card, session, funded ordinary account and registered payee at this bank), so no two clients
share a session, a limit counter or an account row: what is measured is the API's own path.
The retail-001 step-up is the card, which costs no argon2 hash per transfer.

The reference is pgbench's built-in ``tpcb-like`` with the same client count for the same total
duration on the same server, in rounds that alternate with the API's, so that other load on
the machine falls on both alike; the ratio is the figure that travels between machines.

The clients are processes (one keep-alive connection each, the standard library's client), not
threads, so that the clients' own interpreter time does not queue on one GIL. The server runs
one uvicorn worker by default: on the 2-core machine, where PostgreSQL, the clients and the
server share the cores, one worker gave more transfers/s and half the p99 of two (``--workers``
to compare).

Every refused request is counted by status and problem code, and the run exits 1 when there
was any, or when the money does not add up afterwards.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing as mp
import os
import queue
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from datetime import time as time_of_day
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Barrier
from typing import Any

import typer
from sqlalchemy import URL, create_engine, func, select, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from kinko import clock
from kinko.bench.pg import (
    BenchError,
    checkpoint,
    fail,
    last_line,
    libpq_env,
    one_line,
    parse_tps,
    percentile_ms,
    postgres_url,
    scratch_databases,
)
from kinko.errors import DomainError

ACTOR = "bench"
BRANCH = "001"
AMOUNT = 1                   # yen per transfer: the daily limit (1,000,000) never runs out
BALANCE = 100_000_000        # each payer's opening balance: never runs dry at AMOUNT a go
INQUIRY_EVERY = 5            # a balance inquiry after every fifth transfer
WARMUP_TRANSFERS = 5         # per client before the clock starts (connections, caches)
HEALTH_TIMEOUT = 60.0        # seconds for uvicorn to answer /health
HTTP_TIMEOUT = 30.0
UNAUTHORISED_RETRIES = 8     # 5 ms doubling: up to 1.3 s for a late commit (_Customer._call)
ROUND_SECONDS = 5.0          # API and pgbench rounds alternate at about this length
PAYER_NUMBERS = 1_000_000    # client i pays from account 001-(1000000 + i) …
PAYEE_NUMBERS = 2_000_000    # … into 001-(2000000 + i), so the totals tell them apart


# --- figures ------------------------------------------------------------------------------


@dataclass
class ClientResult:
    """What one client process reports back: counts, latencies (s) and errors by status."""

    index: int
    transfers: int = 0
    warmup_transfers: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    inquiry_latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class Totals:
    """Money in the scratch bank at one moment."""

    all_accounts: int        # Σ every account, the bank's books included: never changes
    payers: int              # Σ the clients' accounts
    payees: int              # Σ the accounts they pay into
    executed: int            # executed transfer instructions
    books_ok: bool           # kinko.ledger.service.check_books


@dataclass(frozen=True)
class Report:
    clients: int
    seconds: float
    workers: int
    rounds: int
    transfers: int
    transfers_per_s: float
    p50_ms: float
    p99_ms: float
    inquiries: int
    balance_p50_ms: float
    balance_p99_ms: float
    errors: dict[str, int]
    pgbench_tps: float
    pgbench_scale: int
    before: Totals
    after: Totals
    acknowledged: int        # confirmed transfers including the warm-up ones
    cpus: int

    @property
    def ratio(self) -> float:
        return self.transfers_per_s / self.pgbench_tps if self.pgbench_tps else 0.0

    @property
    def moved_exactly(self) -> bool:
        """Every confirmed transfer moved its amount once, and nothing else moved money."""
        moved = self.acknowledged * AMOUNT
        return (self.before.payers - self.after.payers == moved
                and self.after.payees - self.before.payees == moved
                and self.after.executed - self.before.executed == self.acknowledged)

    @property
    def total_conserved(self) -> bool:
        return (self.before.all_accounts == self.after.all_accounts
                and self.before.books_ok and self.after.books_ok and self.moved_exactly)

    def as_json(self) -> dict[str, Any]:
        return {
            "clients": self.clients, "seconds": self.seconds, "workers": self.workers,
            "rounds": self.rounds, "transfers": self.transfers,
            "transfers_per_s": round(self.transfers_per_s, 1),
            "p50_ms": round(self.p50_ms, 3), "p99_ms": round(self.p99_ms, 3),
            "inquiries": self.inquiries,
            "balance_p50_ms": round(self.balance_p50_ms, 3),
            "balance_p99_ms": round(self.balance_p99_ms, 3),
            "errors": dict(sorted(self.errors.items())),
            "pgbench_tps": round(self.pgbench_tps, 1), "pgbench_scale": self.pgbench_scale,
            "ratio": round(self.ratio, 3),
            "total_before": self.before.all_accounts, "total_after": self.after.all_accounts,
            "books_ok": self.before.books_ok and self.after.books_ok,
            "moved_exactly": self.moved_exactly, "total_conserved": self.total_conserved,
            "cpus": self.cpus,
        }


# --- URLs and scratch databases -------------------------------------------------------------


def _render(url: URL) -> str:
    return url.render_as_string(hide_password=False)


# --- the scratch bank -------------------------------------------------------------------

@dataclass(frozen=True)
class ClientSetup:
    """One client's customer: what its app would hold after login and card delivery."""

    index: int
    token: str
    account_id: int
    payee_id: int
    card: dict[str, str]     # the card as printed: cell name ("B3") → its digits


def bench_moment(now: datetime) -> datetime:
    """10:00 Japan time on the business day a transfer entered ``now`` would be processed.

    Customers, sessions and the server all use this moment, so every transfer is a same-day
    one that moves money now, even when the bench runs on a Sunday or after the cutoff.
    """
    from kinko.calendar import get_calendar
    from kinko.policy import policy_at

    day = get_calendar(now).processing_date(now, policy_at(now).transfers.same_day_cutoff)
    return datetime.combine(day, time_of_day(10, 0), clock.JST)


def _open_bank(session: Session, clients: int) -> list[ClientSetup]:
    """The books, a branch and one retail-001 customer per client, through the services."""
    from kinko.auth import sessions
    from kinko.auth.cards import issue_card
    from kinko.auth.enrolment import enrol_retail_001
    from kinko.auth.models import Product
    from kinko.auth.passwords import random_password
    from kinko.auth.policy import rules_for
    from kinko.auth.rules import cell_name
    from kinko.config import get_settings
    from kinko.instructions.service import Actor
    from kinko.ledger.books import book, ensure_books
    from kinko.ledger.models import AccountType
    from kinko.ledger.rules import Leg
    from kinko.ledger.service import EntryRequest, open_account, post
    from kinko.parties.models import Branch, Customer, CustomerKind
    from kinko.transfers.service import register_payee

    ensure_books(session, actor=ACTOR)
    cash = book(session, "cash")
    session.add(Branch(code=BRANCH, name="ベンチ支店", name_kana="ﾍﾞﾝﾁ"))
    session.flush()
    rules = rules_for(Product.RETAIL_001)
    bank_code = get_settings().bank_code
    setups: list[ClientSetup] = []
    for index in range(clients):
        customer = Customer(number=f"B{index:07d}", kind=CustomerKind.INDIVIDUAL,
                            name=f"ベンチ太郎{index}", name_kana="ﾍﾞﾝﾁ ﾀﾛｳ", branch_code=BRANCH,
                            # An address, so each confirmation queues its e-mail notice as
                            # it would for a real customer (one more outbox row per transfer).
                            email=f"bench{index}@example.jp")
        session.add(customer)
        session.flush()
        payer = open_account(session, branch_code=BRANCH, number=f"{PAYER_NUMBERS + index:07d}",
                             account_type=AccountType.ORDINARY, holder_kana="ﾍﾞﾝﾁ ﾀﾛｳ",
                             customer_id=customer.id, actor=ACTOR)
        # The payee's account belongs to nobody in the bench: a shop the customer pays.
        payee_number = f"{PAYEE_NUMBERS + index:07d}"
        open_account(session, branch_code=BRANCH, number=payee_number,
                     account_type=AccountType.ORDINARY, holder_kana="ﾍﾞﾝﾁ ｼﾖｳﾃﾝ",
                     customer_id=None, actor=ACTOR)
        post(session, EntryRequest(kind="deposit", legs=[Leg(cash, -BALANCE),
                                                          Leg(payer.id, BALANCE)]), actor=ACTOR)
        # One argon2 hash per customer, here at enrolment; the card step-up needs none.
        user = enrol_retail_001(session, customer_id=customer.id,
                                member_number=f"{90_000_000 + index}",
                                password=random_password(rules), actor=ACTOR)
        card = issue_card(session, user, rules, actor=ACTOR)
        payee = register_payee(session, Actor(user.id, user.contract_id, customer.id),
                               bank_code=bank_code, branch_code=BRANCH, account_type="ordinary",
                               number=payee_number, nickname="ベンチ商店")
        token, _row = sessions.start(session, user, rules, channel="bench")
        printed = {cell_name(row, col): digits for row, line in enumerate(card.grid)
                   for col, digits in enumerate(line)}
        setups.append(ClientSetup(index, token, payer.id, payee.id, printed))
    return setups


def _totals(session: Session) -> Totals:
    from kinko.instructions.models import Instruction, InstructionStatus
    from kinko.ledger.models import Account
    from kinko.ledger.service import check_books

    def total(*where: Any) -> int:
        return int(session.scalar(
            select(func.coalesce(func.sum(Account.balance), 0)).where(*where)) or 0)

    in_branch = Account.branch_code == BRANCH
    executed = session.scalar(select(func.count()).select_from(Instruction).where(
        Instruction.status == InstructionStatus.EXECUTED))
    return Totals(
        all_accounts=total(),
        payers=total(in_branch, Account.number < f"{PAYEE_NUMBERS:07d}"),
        payees=total(in_branch, Account.number >= f"{PAYEE_NUMBERS:07d}"),
        executed=int(executed or 0),
        books_ok=check_books(session).ok,
    )


def _prepare(url: URL, clients: int, moment: datetime) -> tuple[list[ClientSetup], Totals]:
    from kinko.db.engine import Database
    from kinko.db.migrate import upgrade

    upgrade(_render(url))
    db = Database(_render(url), pool_size=1)
    try:
        with clock.frozen(moment), db.transaction() as session:
            setups = _open_bank(session, clients)
        with db.transaction() as session:
            return setups, _totals(session)
    finally:
        db.dispose()


def _final_totals(url: URL) -> Totals:
    from kinko.db.engine import Database

    db = Database(_render(url), pool_size=1)
    try:
        with db.transaction() as session:
            return _totals(session)
    finally:
        db.dispose()


# --- the server -------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve(url: URL, moment: datetime, workers: int) -> Iterator[str]:
    """uvicorn with the real app on a free local port; yields its base URL once healthy."""
    import httpx

    from kinko.bench.api_server import DATABASE_URL_ENV, NOW_ENV

    port = _free_port()
    env = dict(os.environ)
    # The URL (with any password) travels in the environment, never in argv where ps shows it.
    env[DATABASE_URL_ENV] = _render(url)
    env[NOW_ENV] = moment.isoformat()
    argv = [sys.executable, "-m", "uvicorn", "kinko.bench.api_server:create", "--factory",
            "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
            "--log-level", "warning", "--no-access-log"]
    with tempfile.TemporaryFile("w+", encoding="utf-8") as log:
        # A session of its own: Ctrl-C in the terminal reaches the bench, which then stops
        # the server's whole process group (uvicorn's supervisor and its workers) itself.
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=log,  # noqa: S603
                                start_new_session=True)

        def server_log() -> str:
            log.seek(0)
            return last_line(log.read())

        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + HEALTH_TIMEOUT
            while True:
                if proc.poll() is not None:
                    raise BenchError(f"the API server exited ({proc.returncode}): "
                                     f"{server_log()}")
                with suppress(httpx.HTTPError):
                    if httpx.get(f"{base}/health", timeout=2.0).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise BenchError(f"the API server did not answer /health within "
                                     f"{HEALTH_TIMEOUT:g} s: {server_log()}")
                time.sleep(0.1)
            yield base
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group (a graceful uvicorn shutdown), then SIGKILL."""
    if proc.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


# --- the clients -------------------------------------------------------------------------

@dataclass(frozen=True)
class _Plan:
    base_url: str
    setup: ClientSetup
    rounds: int
    round_seconds: float


class _Reply:
    """One HTTP answer as the bench reads it: the status and the JSON body."""

    __slots__ = ("body", "status_code")

    def __init__(self, status_code: int, body: bytes) -> None:
        self.status_code = status_code
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)


class _Connection:
    """One keep-alive HTTP/1.1 connection to the server (the standard library's client).

    The clients share the two cores with the server and PostgreSQL: with httpx a client spent
    about 2.4 ms of its interpreter per transfer (two requests; its request and response
    models, hooks and header classes), 1.1 ms with this, time given back to the server being
    measured. This sends the same requests with the bare client, and reconnects once when
    the server had closed the idle connection."""

    def __init__(self, base_url: str, token: str) -> None:
        from urllib.parse import urlsplit

        where = urlsplit(base_url)
        self.host, self.port = where.hostname or "127.0.0.1", where.port or 80
        self.token = token
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=HTTP_TIMEOUT)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method: str, path: str, *, body: Any = None,
                headers: dict[str, str] | None = None) -> _Reply:
        sent = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, path, body=payload, headers=sent)
                response = conn.getresponse()
                return _Reply(response.status, response.read())
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed the kept-alive connection before this request reached
                # it: nothing was done, so send it once more on a new connection.
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


class _Customer:
    """One customer's app: enter, answer the card cells, confirm, keep the rotated token."""

    def __init__(self, plan: _Plan, result: ClientResult) -> None:
        self.card = plan.setup.card
        self.errors: Counter[str] = Counter()
        self.result = result
        # One keep-alive connection: a customer's app talks to one server, one call at a time.
        self.http = _Connection(plan.base_url, plan.setup.token)
        self.body = {"from_account_id": plan.setup.account_id, "amount": AMOUNT,
                     "payee_id": plan.setup.payee_id}
        self.session_lost = False

    def close(self) -> None:
        self.http.close()
        self.result.errors = dict(self.errors)

    def _count(self, response: _Reply) -> None:
        """Count a refused request by status and the problem's stable code."""
        code = ""
        with suppress(ValueError, AttributeError):
            code = str(response.json().get("code") or "")
        self.errors[f"{response.status_code} {code}".strip()] += 1

    def _call(self, method: str, path: str, expected: int, **kwargs: Any) -> Any:
        """The JSON answer of one request, or None with the failure counted.

        A 401 is tried again a few times before the session counts as lost: right after a
        step-up it can mean that the previous response (with the rotated token) reached us
        before the server committed it. The retry keeps the client going, the count keeps
        the failure visible, and retrying is safe because every create carries its key.
        """
        for attempt in range(UNAUTHORISED_RETRIES + 1):
            try:
                response = self.http.request(method, path, **kwargs)
            except (OSError, http.client.HTTPException) as exc:
                # A lost confirm response may have rotated the token unseen: the next call
                # tells (401).
                self.http.close()
                self.errors[type(exc).__name__] += 1
                return None
            if response.status_code == expected:
                return response.json()
            self._count(response)
            if response.status_code != 401:
                return None
            time.sleep(0.005 * 2**attempt)
        self.session_lost = True
        return None

    def transfer(self) -> bool:
        """One confirmed transfer; False (and the reason counted) if it was not executed."""
        quote = self._call("POST", "/api/v1/transfers", 201, body=self.body,
                           headers={"Idempotency-Key": uuid.uuid4().hex})
        if quote is None:
            return False
        card = quote["step_up"]["card"]
        answer = self._call(
            "POST", f"/api/v1/transfers/{quote['id']}/confirm", 200,
            body={"card_challenge_id": card["challenge_id"],
                  "card_answers": {cell: self.card[cell] for cell in card["cells"]}},
            headers={"Idempotency-Key": uuid.uuid4().hex})
        if answer is None:
            return False
        # The step-up rotated the session: the old token is dead from now on.
        self.http.token = answer["session_token"]
        status = answer["instruction"]["status"]
        if status != "executed":
            self.errors[f"instruction {status}"] += 1
            return False
        return True

    def inquire(self) -> None:
        self._call("GET", "/api/v1/accounts", 200)


def _client(plan: _Plan, barrier: Barrier, results: Any) -> None:
    """One client process: warm up, then run every round the parent starts."""
    # Ctrl-C reaches the whole process group; the parent decides what ends, and how.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    result = ClientResult(index=plan.setup.index)
    customer: _Customer | None = None
    try:
        customer = _Customer(plan, result)
        # Outside the clock: connect, and let the server warm its pools and caches.
        for _ in range(WARMUP_TRANSFERS):
            result.warmup_transfers += customer.transfer()
        customer.inquire()
        if not result.warmup_transfers or customer.session_lost:
            raise BenchError(f"no transfer went through in the warm-up: {dict(customer.errors)}")
        clock_ = time.perf_counter
        iteration = 0
        for _ in range(plan.rounds):
            barrier.wait()          # the parent starts the round with everyone
            start = clock_()
            deadline = start + plan.round_seconds
            while (t0 := clock_()) < deadline and not customer.session_lost:
                if customer.transfer():
                    result.latencies.append(clock_() - t0)
                    result.transfers += 1
                iteration += 1
                if iteration % INQUIRY_EVERY == 0:
                    t1 = clock_()
                    customer.inquire()
                    result.inquiry_latencies.append(clock_() - t1)
            if customer.session_lost:
                time.sleep(max(0.0, deadline - clock_()))
            result.elapsed += clock_() - start
            barrier.wait()          # the parent runs pgbench once every client is idle
    except Exception as exc:  # any failure is reported to the parent as one line
        result.error = f"client {plan.setup.index}: {type(exc).__name__}: {one_line(exc)}"
        with suppress(Exception):
            barrier.abort()
    finally:
        if customer is not None:
            customer.close()
    results.put(result)


def rounds_for(seconds: float) -> int:
    """How many API/pgbench rounds to alternate: about ROUND_SECONDS each."""
    return max(1, round(seconds / ROUND_SECONDS))


def _run_rounds(base_url: str, setups: Sequence[ClientSetup], seconds: float,
                pgbench_round: Callable[[float], float]) -> tuple[list[ClientResult], list[float]]:
    """Alternate API rounds (all clients) and pgbench rounds; return both sets of figures."""
    clients = len(setups)
    rounds = rounds_for(seconds)
    round_seconds = seconds / rounds
    # spawn, not fork: a forked child would share the parent's engine, sockets and locks.
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(clients + 1)   # the clients and the parent, which paces the rounds
    results = ctx.Queue()
    procs = [ctx.Process(target=_client, name=f"kinko-bench-api-{s.index}",
                         args=(_Plan(base_url, s, rounds, round_seconds), barrier, results))
             for s in setups]
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
                tps.append(pgbench_round(round_seconds))
        except threading.BrokenBarrierError:
            pass  # a client failed: its result says why (below)
        collected = _collect(procs, results, clients)
        # A client that fails breaks the barrier for the others: report its error, not theirs.
        failures = sorted((r.error for r in collected if r.error),
                          key=lambda error: "BrokenBarrierError" in error)
        if failures:
            raise BenchError(failures[0])
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


# --- the reference ----------------------------------------------------------------------

def pgbench_scale(clients: int) -> int:
    """One pgbench branch row per client, pgbench's own advice (fewer would queue on a row)."""
    return max(1, clients)


def _pgbench_init(pgbench: str, url: URL, scale: int) -> None:
    init = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [pgbench, "-i", "-q", "-s", str(scale), str(url.database)],
        env=libpq_env(url), capture_output=True, text=True, check=False)
    if init.returncode != 0:
        raise BenchError(f"pgbench -i failed: {last_line(init.stderr)}")


def _pgbench_round(pgbench: str, url: URL, clients: int, seconds: float) -> float:
    bench = subprocess.run(  # noqa: S603
        [pgbench, "-b", "tpcb-like", "-c", str(clients), "-j", str(clients),
         "-T", str(max(1, round(seconds))), "-n", str(url.database)],
        env=libpq_env(url), capture_output=True, text=True, check=False)
    if bench.returncode != 0:
        raise BenchError(f"pgbench failed: {last_line(bench.stderr)}")
    return parse_tps(bench.stdout)


# --- the command ------------------------------------------------------------------------

def measure(database_url: str, clients: int, seconds: float, workers: int) -> Report:
    """Run both measurements and return the figures; raises BenchError for a refused setup."""
    url = postgres_url(database_url)
    pgbench = shutil.which("pgbench")
    if pgbench is None:
        raise BenchError("pgbench is not on PATH (Debian: apt-get install postgresql-client)")
    admin = create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=False,
                          connect_args={"connect_timeout": 10})
    try:
        try:
            with admin.connect() as conn:
                conn.execute(text("SELECT 1"))
        except DBAPIError as exc:
            where = f"{url.host or 'localhost'}:{url.port or 5432}"
            raise BenchError(f"cannot connect to PostgreSQL at {where}: {one_line(exc)}"
                             ) from exc
        moment = bench_moment(clock.now())
        with scratch_databases(admin, url, "kinko_bench_api", "kinko_pgbench") as (api_url,
                                                                                   pg_url):
            setups, before = _prepare(api_url, clients, moment)
            scale = pgbench_scale(clients)
            _pgbench_init(pgbench, pg_url, scale)
            checkpoint(admin)

            def reference(round_seconds: float) -> float:
                return _pgbench_round(pgbench, pg_url, clients, round_seconds)

            with serve(api_url, moment, workers) as base_url:
                results, tps = _run_rounds(base_url, setups, seconds, reference)
            after = _final_totals(api_url)
    finally:
        admin.dispose()
    errors: Counter[str] = Counter()
    for r in results:
        errors.update(r.errors)
    latencies = [x for r in results for x in r.latencies]
    inquiries = [x for r in results for x in r.inquiry_latencies]
    return Report(
        clients=clients, seconds=seconds, workers=workers, rounds=len(tps),
        transfers=sum(r.transfers for r in results),
        transfers_per_s=sum(r.transfers / r.elapsed for r in results if r.elapsed > 0),
        p50_ms=percentile_ms(latencies, 50), p99_ms=percentile_ms(latencies, 99),
        inquiries=len(inquiries),
        balance_p50_ms=percentile_ms(inquiries, 50), balance_p99_ms=percentile_ms(inquiries, 99),
        errors=dict(errors), pgbench_tps=statistics.fmean(tps), pgbench_scale=scale,
        before=before, after=after,
        acknowledged=sum(r.transfers + r.warmup_transfers for r in results),
        cpus=os.cpu_count() or 0,
    )


def _print(report: Report) -> None:
    errors = (", ".join(f"{k}: {v:,d}" for k, v in sorted(report.errors.items()))
              if report.errors else "none")
    moved = ("every confirmed transfer moved its amount once" if report.moved_exactly
             else "MOVED AMOUNTS DIFFER from the confirmed transfers")
    lines = [
        f"API transfers (enter + card step-up + confirm over HTTP), {report.clients} client "
        f"processes, {report.workers} uvicorn worker(s), {report.seconds:g} s, "
        f"{report.cpus} CPUs",
        f"  transfers/s        {report.transfers_per_s:12,.1f}  confirmed",
        f"  pgbench tpcb-like  {report.pgbench_tps:12,.1f} TPS (scale {report.pgbench_scale}, "
        f"{report.rounds} alternating rounds)",
        f"  ratio              {report.ratio:12.3f}  (transfers/s ÷ pgbench TPS)",
        f"  transfer p50       {report.p50_ms:12.2f} ms  (enter + confirm)",
        f"  transfer p99       {report.p99_ms:12.2f} ms",
        f"  balance p50        {report.balance_p50_ms:12.2f} ms  "
        f"(GET /api/v1/accounts, {report.inquiries:,d} inquiries)",
        f"  balance p99        {report.balance_p99_ms:12.2f} ms",
        f"  transfers          {report.transfers:12,d}",
        f"  errors             {errors}",
        f"  Σ balances         {report.before.all_accounts:,d} → {report.after.all_accounts:,d}",
        f"  conserved          {'yes' if report.total_conserved else 'NO'}  (check_books "
        f"{'ok' if report.before.books_ok and report.after.books_ok else 'FAILED'}; {moved})",
    ]
    typer.echo("\n".join(lines))


def run(database_url: str, clients: int, seconds: float, workers: int,
        json_output: bool) -> None:
    """`kinko bench api`: print the figures; exit 2 with one line when the setup is refused,
    1 when money was not conserved or a request failed."""
    try:
        report = measure(database_url, clients, seconds, workers)
    except BenchError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted; API server stopped, scratch databases dropped", code=130)
    except (SQLAlchemyError, OSError) as exc:
        fail(f"{type(exc).__name__}: {one_line(exc)}")
    except DomainError as exc:  # the scratch bank refused its own set-up: a bug to report
        fail(f"{exc.code}: {exc.describe()}")
    _print(report)
    if json_output:
        typer.echo(json.dumps(report.as_json(), ensure_ascii=False))
    if not report.total_conserved or report.errors:
        raise typer.Exit(1)

