"""`kinko bench bank`: the bank under faults, through the real HTTP API, then a checker.

What it does, in order:

1. **A database of its own.** Without ``--database-url`` it starts a PostgreSQL cluster
   (initdb + pg_ctl on a free port in a temp dir, as a non-root user when run as root:
   kinko.bench.cluster); with one, it creates a scratch database on that server (and refuses
   the ``db-restart`` fault, which needs a cluster it may crash). It builds the schema with the
   migrations and seeds one retail-001 customer per client: an ordinary account, every other
   customer also a checking account with an overdraft line, a few registered payees (other
   customers' accounts, so clients contend for the same rows), a confirmation-number card and
   an open session. The totals after seeding are the baseline.
2. **The bank running.** The real app with two worker processes (:func:`app_argv`) and two
   due-work runners (kinko.bench.bank_runner: `kinko batch run` in a loop), all subprocesses
   in process groups of their own. Every process runs with the clock frozen at 10:00 on a
   business day (kinko.bench.api.bench_moment), so transfers are same-day ones that move money
   whenever the bench runs.
3. **Clients.** N threads, each one customer's app (httpx): transfers (enter, then confirm
   with the card cells the step-up asks for) to a random payee for a random amount, and now and
   then a balance inquiry. Every request carries an ``Idempotency-Key``; a timeout, a refused
   connection or a 5xx is retried with the same request and the same key until a definite
   answer comes or the run ends (the operation is then *indeterminate*). A 401 (the token was
   rotated by a confirm whose answer was lost, or the session is gone) logs in again with the
   member number and password and retries under the same key.
4. **A nemesis** (``--faults``), one fault every few seconds in turn: ``app-kill`` SIGKILLs
   one app worker (the supervisor starts another) or, every other time, the whole app process
   group, which the bench starts again; ``batch-kill`` SIGKILLs a runner and starts another;
   ``db-restart`` crashes the cluster (``pg_ctl stop -m immediate``) and starts it again.
5. **The checker** (kinko.bench.bank_check), with the app and runners stopped.

Figures: ``ok`` (acknowledged operations: transfers confirmed as executed and balance reads
answered), ``failed`` (definite refusals, e.g. insufficient funds), ``indeterminate``,
``anomalies``, ``http_500`` (5xx answers other than 503), ``longest_stall_s`` (the longest any
client waited for a definite answer), transfers/s and the fault schedule. Exit 1 when there is
an anomaly or a 5xx other than 503; 2 when the run could not be set up.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import types
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import typer
from sqlalchemy.orm import Session

from kinko import clock
from kinko.bench.bank_check import (
    FAILED,
    INDETERMINATE,
    OK,
    Baseline,
    CheckReport,
    TransferRecord,
    baseline,
    check,
)
from kinko.bench.pg import BenchError, fail, last_line, one_line, percentile_ms

FAULTS = ("app-kill", "batch-kill", "db-restart")
ACTOR = "bench"
BRANCH = "001"
MEMBER_BASE = 80_000_000
ORDINARY_BASE = 3_000_000        # customer i: ordinary account 001-(3000000 + i)
CHECKING_BASE = 4_000_000        # every other customer: checking account 001-(4000000 + i)
OVERDRAFT = 30_000               # the checking accounts' overdraft line (当座貸越極度額)
PAYEES = 3                       # each customer pays into the next three customers' accounts
MAX_AMOUNT = 5_000               # yen per transfer: a day's limit (1,000,000) never runs out
READ_SHARE = 0.25                # share of operations that are balance inquiries
APP_WORKERS = 2
RUNNERS = 2
HTTP_TIMEOUT = 5.0               # one attempt; the client retries under the same key after it
CONNECT_TIMEOUT = 2.0
GRACE = 15.0                     # after the run, how long an operation in flight may still retry
RELOGINS_PER_REQUEST = 3
HEALTH_TIMEOUT = 60.0            # an app (re)start answers /health within this
STOP_TIMEOUT = 10.0
DB_DOWNTIME = 1.0                # seconds the cluster stays down in a db-restart
FIRST_FAULT_S = 3.0


# --- seeding -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Customer:
    """What one client's app holds: credentials, a session, its accounts and payees."""

    index: int
    user_id: int
    member_number: str
    password: str
    token: str
    accounts: tuple[int, ...]
    payees: tuple[tuple[int, int], ...]   # (payee id, the payee's account id)
    card: dict[str, str]                  # the card as printed: cell ("B3") → digits


def _seed(session: Session, clients: int, rng: random.Random) -> list[Customer]:
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
    from kinko.parties.models import Branch, CustomerKind
    from kinko.parties.models import Customer as CustomerRow
    from kinko.transfers.service import register_payee

    ensure_books(session, actor=ACTOR)
    cash = book(session, "cash")
    session.add(Branch(code=BRANCH, name="ベンチ支店", name_kana="ﾍﾞﾝﾁ"))
    session.flush()
    rules = rules_for(Product.RETAIL_001)
    bank_code = get_settings().bank_code
    rows = []
    for index in range(clients):
        row = CustomerRow(number=f"F{index:07d}", kind=CustomerKind.INDIVIDUAL,
                          name=f"障害太郎{index}", name_kana="ｼﾖｳｶﾞｲ ﾀﾛｳ", branch_code=BRANCH,
                          email=f"fault{index}@example.jp")
        session.add(row)
        session.flush()
        accounts = [open_account(session, branch_code=BRANCH,
                                 number=f"{ORDINARY_BASE + index:07d}",
                                 account_type=AccountType.ORDINARY, holder_kana="ｼﾖｳｶﾞｲ ﾀﾛｳ",
                                 customer_id=row.id, actor=ACTOR)]
        if index % 2 == 0:
            accounts.append(open_account(
                session, branch_code=BRANCH, number=f"{CHECKING_BASE + index:07d}",
                account_type=AccountType.CHECKING, holder_kana="ｼﾖｳｶﾞｲ ﾀﾛｳ",
                customer_id=row.id, overdraft_limit=OVERDRAFT, actor=ACTOR))
        # Small balances, so that some transfers are refused for want of funds and the
        # checking accounts run into their overdraft lines.
        for account in accounts:
            opening = rng.randrange(10_000, 40_000)
            post(session, EntryRequest(kind="deposit", legs=[Leg(cash, -opening),
                                                              Leg(account.id, opening)]),
                 actor=ACTOR)
        rows.append((row, accounts))
    customers = []
    for index, (row, accounts) in enumerate(rows):
        password = random_password(rules)
        member = f"{MEMBER_BASE + index}"
        # One argon2 hash per customer, here; the card step-up needs none.
        user = enrol_retail_001(session, customer_id=row.id, member_number=member,
                                password=password, actor=ACTOR)
        card = issue_card(session, user, rules, actor=ACTOR)
        actor = Actor(user.id, user.contract_id, row.id)
        payees = []
        for step in range(1, min(PAYEES, clients - 1) + 1):
            other = rows[(index + step) % clients][1]
            target = other[step % len(other)]
            payee = register_payee(session, actor, bank_code=bank_code, branch_code=BRANCH,
                                   account_type=target.type.value, number=target.number,
                                   nickname=f"ベンチ{step}")
            payees.append((payee.id, target.id))
        token, _session_row = sessions.start(session, user, rules, channel="bench")
        printed = {cell_name(r, c): digits for r, line in enumerate(card.grid)
                   for c, digits in enumerate(line)}
        customers.append(Customer(index, user.id, member, password, token,
                                  tuple(a.id for a in accounts), tuple(payees), printed))
    return customers


def prepare(url: str, clients: int, moment: datetime, seed: int
            ) -> tuple[list[Customer], Baseline]:
    """Migrate, seed, and take the baseline the checker will hold the run to."""
    from kinko.db.engine import Database
    from kinko.db.migrate import upgrade

    upgrade(url)
    db = Database(url, pool_size=1)
    try:
        with clock.frozen(moment), db.transaction() as session:
            customers = _seed(session, clients, random.Random(seed))  # noqa: S311 - a workload
        with db.transaction() as session:
            base = baseline(session, [c.user_id for c in customers])
        return customers, base
    finally:
        db.dispose()


# --- figures -----------------------------------------------------------------------------

@dataclass
class Tally:
    """What the clients saw, merged under a lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    transfers: list[TransferRecord] = field(default_factory=list)
    reads: Counter[str] = field(default_factory=Counter)          # ok / failed / indeterminate
    statuses: Counter[str] = field(default_factory=Counter)       # every non-2xx answer
    server_errors: Counter[str] = field(default_factory=Counter)  # 5xx other than 503, by route
    transport: Counter[str] = field(default_factory=Counter)      # timeouts, refused connections
    relogins: int = 0
    aborted: threading.Event = field(default_factory=threading.Event)  # Ctrl-C, SIGTERM
    longest_stall_s: float = 0.0
    longest_stall_at: str = ""
    waits: list[float] = field(default_factory=list)   # every request's wait, retries included

    def stall(self, seconds: float, what: str) -> None:
        with self.lock:
            self.waits.append(seconds)
            if seconds > self.longest_stall_s:
                self.longest_stall_s, self.longest_stall_at = seconds, what


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    code: str

    @property
    def label(self) -> str:
        return f"{self.status} {self.code}".strip()


# --- one client --------------------------------------------------------------------------

class Client:
    """One customer's app. ``http`` is any httpx.Client (tests pass the app's TestClient)."""

    def __init__(self, customer: Customer, http: Any, tally: Tally, *, stop_at: float,
                 give_up_at: float, seed: int) -> None:
        self.customer = customer
        self.http = http
        self.tally = tally
        self.stop_at = stop_at            # no new operation after this (time.monotonic)
        self.give_up_at = give_up_at      # an operation in flight becomes indeterminate
        self.rng = random.Random(seed)  # noqa: S311 - the workload's mix, not a secret
        self.token = customer.token

    # -- requests that end in a definite answer, or in none ------------------------------

    def _once(self, method: str, path: str, key: str | None, body: Any,
              token: str | None) -> Answer:
        headers = {}
        if key is not None:
            headers["Idempotency-Key"] = key
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response = self.http.request(method, path, json=body, headers=headers)
        try:
            data = response.json()
        except ValueError:
            data = None
        code = str(data.get("code") or "") if isinstance(data, dict) else ""
        return Answer(response.status_code, data, code)

    def definite(self, method: str, path: str, *, route: str, body: Any = None,
                 key: str | None = None, authenticated: bool = True) -> Answer | None:
        """Send until a definite answer (2xx, or a 4xx other than 401/408/429), retrying the
        same request under the same key; None when ``give_up_at`` passes first."""
        import httpx

        started = time.monotonic()
        delay = 0.1
        relogins = 0
        try:
            while True:
                try:
                    answer = self._once(method, path, key, body,
                                        self.token if authenticated else None)
                except httpx.HTTPError as exc:
                    with self.tally.lock:
                        self.tally.transport[f"{type(exc).__name__} {route}"] += 1
                    answer = None
                if answer is not None:
                    if answer.status < 400:
                        return answer
                    with self.tally.lock:
                        self.tally.statuses[f"{answer.label} {route}"] += 1
                        if answer.status >= 500 and answer.status != 503:
                            self.tally.server_errors[f"{answer.label} {route}"] += 1
                    if answer.status == 401 and authenticated:
                        if relogins >= RELOGINS_PER_REQUEST:
                            return answer
                        relogins += 1
                        if self.login():
                            continue
                    elif answer.status < 500 and answer.status not in (408, 429):
                        return answer
                if time.monotonic() + delay > self.give_up_at or self.tally.aborted.is_set():
                    return None
                time.sleep(self._retry_after(answer, delay))
                delay = min(1.0, delay * 2)
        finally:
            self.tally.stall(time.monotonic() - started,
                             f"{route} (client {self.customer.index})")

    @staticmethod
    def _retry_after(answer: Answer | None, delay: float) -> float:
        if answer is not None and answer.status == 503 and isinstance(answer.body, dict):
            with suppress(TypeError, ValueError):
                return min(2.0, max(delay, float(answer.body.get("retry_after") or delay)))
        return delay

    def login(self) -> bool:
        """A fresh session with the member number and password (itself retried)."""
        with self.tally.lock:
            self.tally.relogins += 1
        answer = self.definite(
            "POST", "/api/v1/auth/login/retail-001", route="login", authenticated=False,
            body={"member_number": self.customer.member_number,
                  "password": self.customer.password})
        if answer is None or answer.status != 200 or not isinstance(answer.body, dict):
            return False
        if answer.body.get("status") != "logged_in":
            return False
        self.token = str(answer.body["session_token"])
        return True

    # -- operations ---------------------------------------------------------------------

    def read(self) -> None:
        answer = self.definite("GET", "/api/v1/accounts", route="accounts",
                               key=uuid.uuid4().hex)
        outcome = INDETERMINATE if answer is None else OK if answer.status < 400 else FAILED
        with self.tally.lock:
            self.tally.reads[outcome] += 1

    def transfer(self) -> TransferRecord:
        c = self.customer
        source = self.rng.choice(c.accounts)
        payee_id, target = self.rng.choice(c.payees)
        record = TransferRecord(client=c.index, user_id=c.user_id, enter_key=uuid.uuid4().hex,
                                confirm_key=uuid.uuid4().hex, from_account=source,
                                to_account=target, amount=self.rng.randrange(1, MAX_AMOUNT))
        with self.tally.lock:
            self.tally.transfers.append(record)
        quote = self.definite("POST", "/api/v1/transfers", route="enter", key=record.enter_key,
                              body={"from_account_id": source, "amount": record.amount,
                                    "payee_id": payee_id})
        if quote is None:
            return record
        if quote.status >= 400 or not isinstance(quote.body, dict):
            record.outcome, record.answer = FAILED, f"{quote.label} at enter"
            return record
        record.instruction_id = int(quote.body["id"])
        card = quote.body["step_up"]["card"]
        answer = self.definite(
            "POST", f"/api/v1/transfers/{record.instruction_id}/confirm", route="confirm",
            key=record.confirm_key,
            body={"card_challenge_id": card["challenge_id"],
                  "card_answers": {cell: c.card[cell] for cell in card["cells"]}})
        if answer is None:
            return record
        if answer.status >= 400 or not isinstance(answer.body, dict):
            record.outcome, record.answer = FAILED, f"{answer.label} at confirm"
            return record
        status = answer.body["instruction"]["status"]
        # A replayed answer carries the token the first confirm rotated to; this client may
        # have logged in since, so it keeps its own (a 401 later logs in again anyway).
        if not answer.body.get("replayed") and answer.body.get("session_token"):
            self.token = str(answer.body["session_token"])
        record.outcome = OK if status == "executed" else FAILED
        record.answer = f"{answer.status} {status}"
        return record

    def run(self) -> None:
        while time.monotonic() < self.stop_at and not self.tally.aborted.is_set():
            if self.rng.random() < READ_SHARE:
                self.read()
            else:
                self.transfer()


# --- processes ---------------------------------------------------------------------------

def _python() -> list[str]:
    return [sys.executable]


def app_argv(port: int, workers: int) -> list[str]:
    """The app with ``workers`` processes on 127.0.0.1:``port``.

    Today uvicorn's own supervisor with the bench's app factory (kinko.bench.api_server: the
    scratch database and the frozen moment come from the environment). When `kinko serve
    --workers N` takes a database URL and a moment, this is the one place to switch to it.
    """
    return [*_python(), "-m", "uvicorn", "kinko.bench.api_server:create", "--factory",
            "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
            "--log-level", "warning", "--no-access-log", "--timeout-graceful-shutdown", "3"]


def runner_argv() -> list[str]:
    return [*_python(), "-m", "kinko.bench.bank_runner"]


class Proc:
    """A subprocess in its own process group, its output in a log file; restartable."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: IO[str]) -> None:
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.log.write(f"--- {self.name} start {self.starts + 1}\n")
        self.log.flush()
        self.proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            self.argv, env=self.env, stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL,
            start_new_session=True)
        self.starts += 1

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def workers(self) -> list[int]:
        """uvicorn's worker processes: the group leader's children that multiprocessing
        spawned (its resource tracker, also a child, is not a worker)."""
        if self.proc is None:
            return []
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            children = path.read_text().split()
        except OSError:
            return []
        workers = []
        for pid in children:
            with suppress(OSError):   # a child that has just exited
                if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    workers.append(int(pid))
        return workers

    def kill(self) -> None:
        """SIGKILL to the whole process group: the crash, no shutdown of any kind."""
        if self.proc is None:
            return
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=STOP_TIMEOUT)

    def stop(self) -> None:
        """SIGTERM to the group, SIGKILL after STOP_TIMEOUT; never raises."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=STOP_TIMEOUT)
        # Workers outlive a supervisor killed alone; the group goes in any case.
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=STOP_TIMEOUT)


def wait_healthy(base_url: str, proc: Proc, timeout: float = HEALTH_TIMEOUT) -> float:
    """Seconds until the app answers /health at all (200, or 503 while the database is
    down: the app is up either way); BenchError if it exits or does not answer in time."""
    import httpx

    started = time.monotonic()
    while True:
        if not proc.alive():
            raise BenchError(f"the app exited ({proc.proc.returncode if proc.proc else '?'})")
        with suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/health", timeout=2.0).status_code in (200, 503):
                return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise BenchError(f"the app did not answer /health within {timeout:g} s")
        time.sleep(0.1)


# --- the nemesis -------------------------------------------------------------------------

@dataclass
class FaultEvent:
    at_s: float
    fault: str
    target: str
    recovered_s: float | None = None
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"at_s": round(self.at_s, 2), "fault": self.fault,
                               "target": self.target}
        if self.recovered_s is not None:
            out["recovered_s"] = round(self.recovered_s, 2)
        if self.error:
            out["error"] = self.error
        return out


class Nemesis:
    """One fault every ``interval`` seconds, the chosen kinds in turn, until ``stop``."""

    def __init__(self, faults: Sequence[str], interval: float, *, app: Proc, base_url: str,
                 runners: Sequence[Proc], cluster: Any, started: float) -> None:
        self.faults, self.interval = list(faults), interval
        self.app, self.base_url, self.runners, self.cluster = app, base_url, runners, cluster
        self.started = started
        self.events: list[FaultEvent] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="kinko-bench-nemesis",
                                       daemon=True)
        self.counts: Counter[str] = Counter()

    def start(self) -> None:
        if self.faults:
            self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(timeout=HEALTH_TIMEOUT + 30)

    def _loop(self) -> None:
        number = 0
        next_at = self.started + FIRST_FAULT_S
        while not self.stopping.wait(max(0.0, next_at - time.monotonic())):
            fault = self.faults[number % len(self.faults)]
            event = FaultEvent(time.monotonic() - self.started, fault, "")
            try:
                self._inflict(fault, event)
            except Exception as exc:  # recorded; the checker and the figures tell the rest
                event.error = f"{type(exc).__name__}: {one_line(exc)}"
            self.events.append(event)
            number += 1
            next_at = max(next_at + self.interval, time.monotonic() + 1.0)

    def _inflict(self, fault: str, event: FaultEvent) -> None:
        kind = self.counts[fault]
        self.counts[fault] += 1
        t0 = time.monotonic()
        if fault == "app-kill":
            workers = self.app.workers()
            if kind % 2 == 0 and workers:
                pid = workers[kind // 2 % len(workers)]
                event.target = f"app worker pid {pid} (the supervisor starts another)"
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                return
            event.target = "app process group (supervisor and workers), then a new app"
            self.app.kill()
            self.app.start()
            wait_healthy(self.base_url, self.app)
        elif fault == "batch-kill":
            runner = self.runners[kind % len(self.runners)]
            event.target = f"{runner.name}, then a new one"
            runner.kill()
            runner.start()
        elif fault == "db-restart":
            event.target = "PostgreSQL cluster: pg_ctl stop -m immediate, then start"
            self.cluster.stop("immediate")
            time.sleep(DB_DOWNTIME)
            self.cluster.start()
        event.recovered_s = time.monotonic() - t0


def fault_interval(seconds: float) -> float:
    """About ten faults a run, never closer than 2.5 s nor further than 10 s apart."""
    return max(2.5, min(10.0, seconds / 10))


# --- the run -----------------------------------------------------------------------------

@dataclass
class Report:
    clients: int
    seconds: float
    faults: list[str]
    database: str
    tally: Tally
    check: CheckReport
    schedule: list[FaultEvent]
    elapsed: float
    app_starts: int
    runner_starts: int
    server_exceptions: dict[str, int] = field(default_factory=dict)

    def _transfers(self, outcome: str) -> int:
        return sum(t.outcome == outcome for t in self.tally.transfers)

    @property
    def http_500(self) -> int:
        return sum(self.tally.server_errors.values())

    def as_json(self) -> dict[str, Any]:
        t_ok, t_failed = self._transfers(OK), self._transfers(FAILED)
        t_ind = self._transfers(INDETERMINATE)
        reads = self.tally.reads
        refusals: Counter[str] = Counter(t.answer for t in self.tally.transfers
                                         if t.outcome == FAILED)
        return {
            "ok": t_ok + reads[OK], "failed": t_failed + reads[FAILED],
            "indeterminate": t_ind + reads[INDETERMINATE],
            "anomalies": [a.as_json() for a in self.check.anomalies],
            "anomaly_count": len(self.check.anomalies),
            "http_500": self.http_500,
            "longest_stall_s": round(self.tally.longest_stall_s, 2),
            "longest_stall_at": self.tally.longest_stall_at,
            "wait_p50_ms": round(percentile_ms(self.tally.waits, 50), 1),
            "wait_p99_ms": round(percentile_ms(self.tally.waits, 99), 1),
            "transfers_ok": t_ok, "transfers_failed": t_failed,
            "transfers_indeterminate": t_ind,
            "transfers_per_s": round(t_ok / self.elapsed, 2) if self.elapsed else 0.0,
            "reads_ok": reads[OK], "reads_failed": reads[FAILED],
            "reads_indeterminate": reads[INDETERMINATE],
            "refusals": dict(refusals.most_common()),
            "server_errors": dict(self.tally.server_errors.most_common()),
            "answers": dict(self.tally.statuses.most_common()),
            "transport_errors": dict(self.tally.transport.most_common()),
            "server_exceptions": self.server_exceptions,
            "relogins": self.tally.relogins,
            "faults": self.faults,
            "schedule": [e.as_json() for e in self.schedule],
            "app_starts": self.app_starts, "runner_starts": self.runner_starts,
            "check": self.check.as_json(),
            "clients": self.clients, "seconds": self.seconds,
            "elapsed_s": round(self.elapsed, 2), "database": self.database,
            "loadavg": _loadavg(),
        }


def _loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().strip()
    except OSError:
        return ""


class Terminated(BaseException):
    """SIGTERM: unwinds like Ctrl-C, through every cleanup."""


@contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    def handler(signum: int, frame: types.FrameType | None) -> None:
        # A second SIGTERM must not cut the cleanup the first one started.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Terminated

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _database(database_url: str | None, faults: Sequence[str]) -> Iterator[tuple[str, Any]]:
    """(the scratch bank's URL, the cluster or None); everything removed afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import DBAPIError

    from kinko.bench.cluster import DATABASE, Cluster
    from kinko.bench.pg import postgres_url, scratch_databases

    if database_url is None:
        cluster = Cluster()
        try:
            cluster.init()
            admin = create_engine(cluster.admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
            admin.dispose()
            yield cluster.url, cluster
        finally:
            cluster.close()
        return
    if "db-restart" in faults:
        raise BenchError("db-restart needs a PostgreSQL cluster the bench starts itself: "
                         "leave out --database-url, or choose --faults app-kill,batch-kill")
    url = postgres_url(database_url)
    admin = create_engine(url, isolation_level="AUTOCOMMIT",
                          connect_args={"connect_timeout": 10})
    try:
        try:
            with admin.connect() as conn:
                conn.execute(text("SELECT 1"))
        except DBAPIError as exc:
            raise BenchError(f"cannot connect to PostgreSQL at {url.host or 'localhost'}:"
                             f"{url.port or 5432}: {one_line(exc)}") from exc
        with scratch_databases(admin, url, "kinko_bench_bank") as (bank_url,):
            yield bank_url.render_as_string(hide_password=False), None
    finally:
        admin.dispose()


def _wait_all(threads: Sequence[threading.Thread], until: float) -> None:
    for thread in threads:
        thread.join(timeout=max(0.1, until - time.monotonic()))


@dataclass
class _Bank:
    """The running bank: the app, the runners and where to reach them."""

    url: str
    cluster: Any
    base_url: str
    app: Proc
    runners: list[Proc]
    log: IO[str]


_EXCEPTION = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Timeout)\b.*")
_DIGITS = re.compile(r"\d+")
_UNHANDLED = "unhandled error on "   # kinko.web.problems logs every 500 with this line


def server_exceptions(log: str, top: int = 12) -> dict[str, int]:
    """What each 500 was, from the app's log: the route and the last exception line of the
    traceback after each "unhandled error on …", numbers blanked so one cause counts once."""
    counts: Counter[str] = Counter()
    route: str | None = None
    for line in log.splitlines():
        if line.startswith(_UNHANDLED):
            route = re.sub(r"/\d+", "/N", line.removeprefix(_UNHANDLED).strip())
        elif route is not None and _EXCEPTION.match(line) and not line.startswith("psycopg."):
            counts[f"{route}: {_DIGITS.sub('N', line)[:200]}"] += 1
            route = None
    return dict(counts.most_common(top))


class _DiscardMail:
    """The bank's mail server for the run: takes every notice and keeps none, so that the
    runners' e-mail work succeeds (and is what a SIGKILL interrupts) without a mailbox."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "250 2.0.0 accepted"


def _mail_server(stack: ExitStack) -> int:
    from aiosmtpd.controller import Controller

    from kinko.bench.cluster import free_port

    controller = Controller(_DiscardMail(), hostname="127.0.0.1", port=free_port())
    controller.start()
    stack.callback(controller.stop)
    return int(controller.port)


def _start_bank(stack: ExitStack, url: str, cluster: Any, moment: datetime,
                log_path: Path | None) -> _Bank:
    from kinko.bench.api_server import DATABASE_URL_ENV, NOW_ENV
    from kinko.bench.cluster import free_port

    log: IO[str] = stack.enter_context(
        log_path.open("a+", encoding="utf-8") if log_path is not None
        else tempfile.TemporaryFile("w+", encoding="utf-8"))  # noqa: SIM115 - on the stack
    env = dict(os.environ)
    # The URL travels in the environment, never in argv where ps shows it.
    env[DATABASE_URL_ENV] = url
    env[NOW_ENV] = moment.isoformat()
    env["KINKO_SMTP_HOST"], env["KINKO_SMTP_PORT"] = "127.0.0.1", str(_mail_server(stack))
    env["KINKO_SMTP_STARTTLS"] = "false"
    port = free_port()
    bank = _Bank(url, cluster, f"http://127.0.0.1:{port}",
                 Proc("app", app_argv(port, APP_WORKERS), env, log),
                 [Proc(f"batch runner {n + 1}", runner_argv(), env, log)
                  for n in range(RUNNERS)], log)
    for proc in (bank.app, *bank.runners):
        stack.callback(proc.stop)
        proc.start()
    try:
        wait_healthy(bank.base_url, bank.app)
    except BenchError as exc:
        log.seek(0)
        raise BenchError(f"{exc}: {last_line(log.read()[-100_000:])}") from exc
    return bank


def _drive(stack: ExitStack, bank: _Bank, customers: Sequence[Customer], seconds: float,
           faults: Sequence[str], seed: int) -> tuple[Tally, list[FaultEvent], float]:
    """Clients and nemesis for ``seconds``; then every operation in flight gets GRACE to end,
    with the nemesis stopped and everything up again."""
    import httpx

    tally = Tally()
    started = time.monotonic()
    stop_at = started + seconds
    give_up_at = stop_at + GRACE
    nemesis = Nemesis(faults, fault_interval(seconds), app=bank.app, base_url=bank.base_url,
                      runners=bank.runners, cluster=bank.cluster, started=started)
    stack.callback(nemesis.stop)
    threads = []
    for customer in customers:
        http = stack.enter_context(httpx.Client(
            base_url=bank.base_url, timeout=httpx.Timeout(HTTP_TIMEOUT,
                                                          connect=CONNECT_TIMEOUT)))
        client = Client(customer, http, tally, stop_at=stop_at, give_up_at=give_up_at,
                        seed=seed + customer.index)
        threads.append(threading.Thread(target=client.run, daemon=True,
                                        name=f"kinko-bench-bank-{customer.index}"))

    def abort() -> None:
        """On the way out after an interruption: the clients stop before their HTTP clients
        close under them."""
        tally.aborted.set()
        _wait_all(threads, time.monotonic() + HTTP_TIMEOUT + 1)

    stack.callback(abort)
    for thread in threads:
        thread.start()
    nemesis.start()
    while time.monotonic() < stop_at:
        time.sleep(min(0.5, max(0.0, stop_at - time.monotonic())))
    nemesis.stop()
    if bank.cluster is not None and not bank.cluster.running():
        bank.cluster.start()
    if not bank.app.alive():
        bank.app.start()
    _wait_all(threads, give_up_at + HTTP_TIMEOUT + 5)
    if any(t.is_alive() for t in threads):
        raise BenchError("a client did not finish (an HTTP call outlived its timeout)")
    return tally, nemesis.events, time.monotonic() - started


def measure(*, database_url: str | None, seconds: float, clients: int,
            faults: Sequence[str], seed: int | None = None, log_path: Path | None = None,
            on_progress: Callable[[str], None] | None = None) -> Report:
    """The whole run; raises BenchError when it cannot be set up."""
    from kinko.bench.api import bench_moment
    from kinko.db.engine import Database

    say = on_progress or (lambda _text: None)
    seed = random.SystemRandom().randrange(1 << 30) if seed is None else seed
    moment = bench_moment(clock.now())
    with ExitStack() as stack:
        say("starting the database")
        url, cluster = stack.enter_context(_database(database_url, faults))
        say(f"seeding {clients} customers")
        customers, base = prepare(url, clients, moment, seed)
        say("starting the app and the batch runners")
        bank = _start_bank(stack, url, cluster, moment, log_path)
        say(f"running {clients} clients for {seconds:g} s, faults: "
            f"{', '.join(faults) or 'none'}")
        tally, schedule, elapsed = _drive(stack, bank, customers, seconds, faults, seed)
        say("stopping the app and the runners; checking the books")
        for proc in (bank.app, *bank.runners):
            proc.stop()
        if cluster is not None and not cluster.running():
            cluster.start()
        db = Database(url, pool_size=1)
        try:
            with clock.frozen(moment):
                report = check(db, base, tally.transfers)
        finally:
            db.dispose()
        bank.log.seek(0)
        exceptions = server_exceptions(bank.log.read())
        return Report(clients=clients, seconds=seconds, faults=list(faults),
                      database="own cluster" if cluster is not None else "scratch database",
                      tally=tally, check=report, schedule=schedule, elapsed=elapsed,
                      app_starts=bank.app.starts,
                      runner_starts=sum(r.starts for r in bank.runners),
                      server_exceptions=exceptions)
    raise AssertionError("unreachable")  # pragma: no cover - ExitStack does not swallow


def parse_faults(text: str | None, *, own_cluster: bool) -> list[str]:
    """``--faults``: a comma-separated subset of FAULTS; ``none`` for a run without faults.
    Left out: every fault the database allows (db-restart only on the bench's own cluster)."""
    if text is None:
        return [f for f in FAULTS if own_cluster or f != "db-restart"]
    chosen = [f.strip() for f in text.split(",") if f.strip()]
    if chosen == ["none"]:
        return []
    unknown = [f for f in chosen if f not in FAULTS]
    if unknown:
        raise BenchError(f"unknown fault(s) {', '.join(unknown)}: choose from "
                         f"{', '.join(FAULTS)} (or none)")
    return list(dict.fromkeys(chosen))


def _print(figures: dict[str, Any]) -> None:
    lines = [
        f"Fault run: {figures['clients']} clients, {figures['seconds']:g} s, faults "
        f"{', '.join(figures['faults']) or 'none'} ({figures['database']})",
        f"  ok                 {figures['ok']:10,d}  acknowledged ({figures['transfers_ok']:,} "
        f"transfers executed, {figures['reads_ok']:,} balance reads)",
        f"  failed             {figures['failed']:10,d}  definite refusals",
        f"  indeterminate      {figures['indeterminate']:10,d}  no definite answer by the end",
        f"  transfers/s        {figures['transfers_per_s']:10,.2f}",
        f"  http_500           {figures['http_500']:10,d}  5xx other than 503",
        f"  longest_stall_s    {figures['longest_stall_s']:10,.2f}  "
        f"({figures['longest_stall_at'] or '-'})",
        f"  wait p50 / p99     {figures['wait_p50_ms']:10,.1f} / "
        f"{figures['wait_p99_ms']:,.1f} ms  (per request, retries included)",
        f"  relogins           {figures['relogins']:10,d}",
        f"  anomalies          {figures['anomaly_count']:10,d}",
    ]
    for name in ("refusals", "server_errors", "answers", "transport_errors",
                 "server_exceptions"):
        if figures[name]:
            lines.append(f"  {name}:")
            lines.extend(f"    {count:6,d}  {what}" for what, count in figures[name].items())
    lines.append("  fault schedule:")
    for event in figures["schedule"]:
        recovered = (f", recovered in {event['recovered_s']:.2f} s"
                     if "recovered_s" in event else "")
        error = f", ERROR {event['error']}" if "error" in event else ""
        lines.append(f"    {event['at_s']:7.2f} s  {event['fault']}: {event['target']}"
                     f"{recovered}{error}")
    c = figures["check"]
    lines.append(f"  checker: Σ balances {c['total_before']:,} → {c['total_after']:,}, books "
                 f"{'ok' if c['books_ok'] else 'NOT OK'}, {c['entries_booked']:,} entries "
                 f"booked, audit chain {c['audit_checked']:,} events verified")
    for anomaly in figures["anomalies"]:
        lines.append(f"  ANOMALY {anomaly['kind']}: {anomaly['detail']}")
    lines.append(f"  load average: {figures['loadavg']}")
    typer.echo("\n".join(lines))


def run(*, database_url: str | None, seconds: float, clients: int, faults: str | None,
        json_output: bool, log_path: Path | None = None) -> None:
    """`kinko bench bank`: exit 0 clean, 1 on an anomaly or a 5xx other than 503, 2 when the
    run could not be set up, 130/143 when interrupted (everything stopped and removed)."""
    from sqlalchemy.exc import SQLAlchemyError

    from kinko.errors import DomainError

    def progress(text: str) -> None:
        typer.echo(f"bench bank: {text}", err=True)

    try:
        with _sigterm_unwinds():
            chosen = parse_faults(faults, own_cluster=database_url is None)
            report = measure(database_url=database_url, seconds=seconds, clients=clients,
                             faults=chosen, log_path=log_path, on_progress=progress)
    except BenchError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted; processes stopped, database removed", code=130)
    except Terminated:
        fail("terminated; processes stopped, database removed", code=143)
    except (SQLAlchemyError, OSError) as exc:
        fail(f"{type(exc).__name__}: {one_line(exc)}")
    except DomainError as exc:  # the scratch bank refused its own set-up: a bug to report
        fail(f"{exc.code}: {exc.describe()}")
    figures = report.as_json()
    if json_output:
        typer.echo(json.dumps(figures, ensure_ascii=False))
    else:
        _print(figures)
    if figures["anomaly_count"] or figures["http_500"]:
        raise typer.Exit(1)
