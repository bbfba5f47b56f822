"""`kinko bench scale`: what a request costs at 10,000 postings and at N (default 1,000,000).

The bank's history grows with time, not with the rate of business: both phases have the same
accounts, the same traffic per day (``POSTINGS_PER_DAY``) and the same busy and typical
customer; the large phase simply has N ÷ ``POSTINGS_PER_DAY`` days of it (about 8½ years at
1M) where the small one has a month. A request whose cost is flat in history costs the same in
both; ``<name>_growth`` = large ÷ small says whether it is.

History is loaded in bulk (COPY on PostgreSQL, multi-row INSERTs elsewhere) as the ledger
would have written it: balanced two-leg entries with the running ``balance_after`` of each
posting, the customer's instruction behind each entry, one audit event per entry (left
unsealed, so the sealer has a real backlog) and the day's limit usage rows. Account balances
end equal to the sum of their postings (``check_books`` holds).

Each timing is the median of ``REPETITIONS`` calls of the real service function, each in its
own transaction as a request would make it, after ``WARMUP`` calls that are not counted; the
five calls take turns so that load from elsewhere falls on all of them alike. The
audit chain is sealed with the same loop as ``kinko audit seal`` and verified with
``kinko audit verify``'s function, and their rates are events/s over the whole large backlog.

On PostgreSQL the command works in a scratch database of its own on the server of the URL and
drops it at the end (also after an error or Ctrl-C); on SQLite in a scratch file beside the
given one, removed at the end.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import bindparam, create_engine, func, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.models import AuditEvent
from kinko.bench.pg import BenchError, measured, one_line, postgres_url, scratch_databases
from kinko.db.base import table_of
from kinko.db.engine import Database
from kinko.db.migrate import upgrade
from kinko.instructions.models import Instruction, InstructionStatus
from kinko.instructions.service import Actor
from kinko.ledger.models import Account, AccountType, JournalEntry, Posting
from kinko.transfers.models import LimitUsage

SMALL = 10_000                 # postings in the small phase
DEFAULT_POSTINGS = 1_000_000
ACCOUNTS = 1_000
BUSY_SHARE = 0.05              # share of entries with the busy account on one side
# The small phase fills one statement period (31 days) exactly, so page 1 of the default
# period has the same lines in both phases.
POSTINGS_PER_DAY = 2 * -(-SMALL // 62)
ENTRIES_PER_DAY = POSTINGS_PER_DAY // 2
OPENING = 100_000_000_000      # each customer account's opening deposit
START = date(2018, 1, 4)       # the first day of history
CHUNK = 50_000                 # entries per load transaction
REPETITIONS = 200
WARMUP = 20
ACTOR = "bench"
TIMINGS = ("balance", "statement_busy", "statement_typical", "instructions", "limit_take")


# --- the history --------------------------------------------------------------------------

@dataclass
class _People:
    """The three customers whose requests are timed, and which accounts are whose."""

    busy: Actor
    typical: Actor
    others: Actor
    account_ids: list[int]         # [0] is the busy account, [1] the typical one
    cash: int

    def owner(self, index: int) -> Actor:
        return self.busy if index == 0 else self.typical if index == 1 else self.others


@dataclass
class _State:
    """Where the generated history stands: the next ids, the balances, the day."""

    entries: int = 0               # entries generated so far (the day follows from it)
    next_entry: int = 1
    next_posting: int = 1
    next_instruction: int = 1
    next_audit: int = 1
    balances: list[int] = field(default_factory=list)
    usage: dict[tuple[str, date], int] = field(default_factory=dict)   # days not yet written
    rng: random.Random = field(default_factory=lambda: random.Random(8))  # noqa: S311

    def day(self, entries: int | None = None) -> date:
        return START + timedelta(days=(self.entries if entries is None else entries)
                                 // ENTRIES_PER_DAY)


def _setup(session: Session) -> _People:
    """A branch, the bank's books, three customers with contracts and users, the accounts
    (the busy one the first customer's, the typical one the second's), each funded."""
    from kinko.auth.models import AuthContract, AuthUser, Product
    from kinko.ledger.books import ensure_books
    from kinko.ledger.rules import Leg
    from kinko.ledger.service import EntryRequest, open_account, post_many
    from kinko.parties.models import Branch, Customer, CustomerKind

    session.add(Branch(code="001", name="ベンチ支店", name_kana="ﾍﾞﾝﾁ"))
    session.flush()
    cash = ensure_books(session, actor=ACTOR)["cash"]
    actors = []
    now = clock.now()
    for n in range(1, 4):
        customer = Customer(number=f"S{n:07d}", kind=CustomerKind.INDIVIDUAL,
                            name=f"規模{n}", name_kana=f"ｷﾎﾞ {n}", branch_code="001")
        session.add(customer)
        session.flush()
        contract = AuthContract(customer_id=customer.id, product=Product.RETAIL_003,
                                created_at=now)
        session.add(contract)
        session.flush()
        user = AuthUser(contract_id=contract.id, customer_id=customer.id,
                        product=Product.RETAIL_003, login_id=f"scale{n}", created_at=now)
        session.add(user)
        session.flush()
        actors.append(Actor(user.id, contract.id, customer.id))
    ids = []
    for n in range(ACCOUNTS):
        owner = actors[min(n, 2)]
        ids.append(open_account(session, branch_code="001", number=f"{n + 1:07d}",
                                account_type=AccountType.ORDINARY, holder_kana="ｷﾎﾞ ﾀﾛｳ",
                                customer_id=owner.customer_id, actor=ACTOR).id)
    funding = post_many(session, [
        EntryRequest(kind="deposit", legs=[Leg(cash, -OPENING), Leg(account_id, OPENING)])
        for account_id in ids], actor=ACTOR)
    if funding.refused:  # pragma: no cover - a fresh cash book with an unlimited line
        raise BenchError(f"funding refused: {funding.refused}")
    return _People(actors[0], actors[1], actors[2], ids, cash)


def _next_ids(session: Session, state: _State) -> None:
    for model, attr in ((JournalEntry, "next_entry"), (Posting, "next_posting"),
                        (Instruction, "next_instruction"), (AuditEvent, "next_audit")):
        top = session.execute(select(func.max(model.id))).scalar_one()
        setattr(state, attr, int(top or 0) + 1)


@dataclass
class _Chunk:
    entries: list[tuple[Any, ...]] = field(default_factory=list)
    postings: list[tuple[Any, ...]] = field(default_factory=list)
    instructions: list[tuple[Any, ...]] = field(default_factory=list)
    audit: list[tuple[Any, ...]] = field(default_factory=list)
    usage: dict[tuple[str, date], int] = field(default_factory=dict)


_ENTRY_COLUMNS = ("id", "kind", "memo", "value_date", "created_at")
_POSTING_COLUMNS = ("id", "entry_id", "account_id", "amount", "balance_after", "description")
_INSTRUCTION_COLUMNS = ("id", "kind", "customer_id", "contract_id", "user_id", "status",
                        "create_key", "request_hash", "details", "digest", "debit_account_id",
                        "amount", "fee", "value_date", "entered_at", "confirm_deadline",
                        "confirmed_at", "finished_at", "entry_id")
_AUDIT_COLUMNS = ("id", "occurred_at", "actor", "action", "subject_type", "subject_id", "data")
_LOADED = ("journal_entries", "postings", "instructions", "audit_events", "limit_usage",
           "accounts")
_EXECUTED = InstructionStatus.EXECUTED.value
_HASH = "0" * 64


def _generate(state: _State, people: _People, count: int) -> _Chunk:
    """``count`` more transfer entries of history, in booking order."""
    chunk = _Chunk()
    rng, balances, ids = state.rng, state.balances, people.account_ids
    n_accounts = len(ids)
    for _ in range(count):
        g = state.entries
        day = state.day()
        at = datetime.combine(day, dtime(9), clock.JST) + timedelta(
            seconds=(g % ENTRIES_PER_DAY) * 30)
        if rng.random() < BUSY_SHARE:
            debit, credit = 0, rng.randrange(1, n_accounts)
            if rng.random() < 0.5:
                debit, credit = credit, debit
        else:
            debit = rng.randrange(1, n_accounts)
            credit = rng.randrange(1, n_accounts - 1)
            credit += credit >= debit
        amount = rng.randint(1, 10_000)
        entry_id = state.next_entry
        owner = people.owner(debit)
        chunk.entries.append((entry_id, "transfer", f"instruction {state.next_instruction}",
                              day, at))
        balances[debit] -= amount
        balances[credit] += amount
        chunk.postings.append((state.next_posting, entry_id, ids[debit], -amount,
                               balances[debit], "ﾌﾘｺﾐ"))
        chunk.postings.append((state.next_posting + 1, entry_id, ids[credit], amount,
                               balances[credit], "ﾌﾘｺﾐ ｷﾎﾞ"))
        chunk.instructions.append((
            state.next_instruction, "transfer", owner.customer_id, owner.contract_id,
            owner.user_id, _EXECUTED, f"scale-{g}", _HASH, "{}", _HASH, ids[debit], amount, 0,
            day, at, at + timedelta(minutes=10), at, at, entry_id))
        chunk.audit.append((
            state.next_audit, at, f"user:{owner.user_id}", "ledger.post", "journal_entry",
            str(entry_id),
            f'{{"kind":"transfer","legs":[[{ids[debit]},{-amount}],[{ids[credit]},{amount}]]}}'))
        for scope in (f"contract:{owner.contract_id}", f"user:{owner.user_id}"):
            chunk.usage[(scope, day)] = chunk.usage.get((scope, day), 0) + amount
        state.entries += 1
        state.next_entry += 1
        state.next_posting += 2
        state.next_instruction += 1
        state.next_audit += 1
    return chunk


def _write_pg(session: Session, chunk: _Chunk) -> None:
    from kinko.db.copy import copy_rows

    copy_rows(session, "journal_entries", _ENTRY_COLUMNS, chunk.entries)
    copy_rows(session, "postings", _POSTING_COLUMNS, chunk.postings)
    copy_rows(session, "instructions", _INSTRUCTION_COLUMNS, chunk.instructions)
    copy_rows(session, "audit_events", _AUDIT_COLUMNS, chunk.audit)


def _write_generic(session: Session, chunk: _Chunk) -> None:
    for model, columns, rows in (
            (JournalEntry, _ENTRY_COLUMNS, chunk.entries),
            (Posting, _POSTING_COLUMNS, chunk.postings),
            (Instruction, _INSTRUCTION_COLUMNS, chunk.instructions),
            (AuditEvent, _AUDIT_COLUMNS, chunk.audit)):
        if rows:
            session.execute(insert(table_of(model)),
                            [dict(zip(columns, row, strict=True)) for row in rows])


def _write_usage(session: Session, usage: dict[tuple[str, date], int]) -> None:
    if usage:
        session.execute(insert(table_of(LimitUsage)),
                        [{"scope": s, "day": d, "used": u} for (s, d), u in usage.items()])


def _load(db: Database, state: _State, people: _People, postings: int) -> None:
    """Append ``postings`` more postings of history (two per entry), chunk by chunk."""
    pg = db.engine.dialect.name == "postgresql"
    left = postings // 2
    usage = state.usage
    while left > 0:
        count = min(CHUNK, left)
        chunk = _generate(state, people, count)
        for key, used in chunk.usage.items():
            usage[key] = usage.get(key, 0) + used
        with db.transaction() as session:
            (_write_pg if pg else _write_generic)(session, chunk)
        left -= count
    # A day's usage row is written once, complete: the day in progress waits for the next load.
    current = state.day()
    done = {key: used for key, used in usage.items() if key[1] < current}
    state.usage = {key: used for key, used in usage.items() if key[1] >= current}
    with db.transaction() as session:
        _write_usage(session, done)
        table = table_of(Account)
        session.connection().execute(
            update(table).where(table.c.id == bindparam("b_id"))
            .values(balance=bindparam("b_balance")),
            [{"b_id": i, "b_balance": b} for i, b in zip(people.account_ids, state.balances,
                                                         strict=True)])
        if pg:
            for name in ("journal_entries", "postings", "instructions", "audit_events"):
                session.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM {name}))"))
    _analyze(db)


def _analyze(db: Database) -> None:
    """Bring the planner's statistics (and, on PostgreSQL, the visibility map) up to date, as
    autovacuum would on a live database."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text(f"VACUUM ANALYZE {', '.join(_LOADED)}"))
        else:
            conn.execute(text("ANALYZE"))


# --- the timings ----------------------------------------------------------------------------

def _medians_ms(db: Database, calls: dict[str, Callable[[Session], object]],
                repetitions: int) -> dict[str, float]:
    """Median wall time of each call in its own transaction, after an uncounted warm-up.

    The calls take turns (one of each, then again), so that a burst of load from elsewhere on
    the machine falls on every figure alike instead of on whichever was being timed."""
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for n in range(WARMUP + repetitions):
        for name, call in calls.items():
            t0 = time.perf_counter()
            with db.transaction() as session:
                call(session)
            if n >= WARMUP:
                samples[name].append(time.perf_counter() - t0)
    return {name: statistics.median(times) * 1000 for name, times in samples.items()}


def _timings(db: Database, people: _People, today: date, repetitions: int
             ) -> dict[str, float]:
    from kinko.inquiries import service as inquiries
    from kinko.inquiries.history import instructions_for
    from kinko.transfers import repository as transfer_repo

    busy, typical = people.account_ids[0], people.account_ids[1]
    # The ad-hoc payee scope: a real scope whose rows the generated history leaves alone.
    scope = f"adhoc:{people.busy.contract_id}"

    def statement_busy(s: Session) -> None:
        st = inquiries.statement(s, people.busy, busy)
        if not st.lines:
            raise BenchError("the busy account's statement page 1 is empty")

    def statement_typical(s: Session) -> None:
        inquiries.statement(s, people.typical, typical)

    def instruction_list(s: Session) -> None:
        if not instructions_for(s, people.busy, limit=51):   # what GET /instructions calls
            raise BenchError("the busy contract's instruction list is empty")

    def limit_take(s: Session) -> None:
        if not transfer_repo.take(s, scope, today, 1, 10**15):
            raise BenchError("the daily-limit take was refused")

    calls: dict[str, Callable[[Session], object]] = {
        "balance": lambda s: inquiries.balances(s, people.busy),
        "statement_busy": statement_busy,
        "statement_typical": statement_typical,
        "instructions": instruction_list,
        "limit_take": limit_take,
    }
    return _medians_ms(db, {name: calls[name] for name in TIMINGS}, repetitions)


def _seal(db: Database) -> tuple[int, float]:
    from kinko.audit.service import seal

    total = 0
    t0 = time.perf_counter()
    while n := db.run(seal):
        total += n
    return total, time.perf_counter() - t0


def _verify(db: Database) -> tuple[int, float]:
    from kinko.audit.service import verify

    t0 = time.perf_counter()
    with db.transaction() as session:
        report = verify(session)
    elapsed = time.perf_counter() - t0
    if not report.ok or report.unsealed:
        raise BenchError(f"the audit chain does not verify: {report.problems}")
    return report.checked, elapsed


def _at_end_of(day: date) -> datetime:
    return datetime.combine(day, dtime(18), clock.JST)


# --- the command ----------------------------------------------------------------------------

@dataclass
class Report:
    backend: str
    postings_small: int
    postings_large: int
    ms_small: dict[str, float]
    ms_large: dict[str, float]
    seal_events: int
    seal_seconds: float
    verify_events: int
    verify_seconds: float
    load_seconds: float
    statement_lines: int
    repetitions: int

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"backend": self.backend, "postings_small": self.postings_small,
                               "postings_large": self.postings_large}
        for name in TIMINGS:
            small, large = self.ms_small[name], self.ms_large[name]
            out[f"{name}_ms_small"] = round(small, 3)
            out[f"{name}_ms_large"] = round(large, 3)
            out[f"{name}_growth"] = round(large / small, 2) if small > 0 else None
        out["seal_events"] = self.seal_events
        out["seal_events_per_s"] = round(self.seal_events / self.seal_seconds) \
            if self.seal_seconds > 0 else None
        out["verify_events"] = self.verify_events
        out["verify_events_per_s"] = round(self.verify_events / self.verify_seconds) \
            if self.verify_seconds > 0 else None
        out["load_seconds"] = round(self.load_seconds, 1)
        out["busy_statement_lines_in_period"] = self.statement_lines
        out["repetitions"] = self.repetitions
        return out


def _run_phases(url: str, postings: int, repetitions: int = REPETITIONS) -> Report:
    if postings < SMALL:
        raise BenchError(f"--postings must be at least the small phase's {SMALL:,}")
    upgrade(url)
    db = Database(url, pool_size=1)
    try:
        with db.transaction() as session:
            clock.set_now(_at_end_of(START))
            people = _setup(session)
        state = _State(balances=[OPENING] * len(people.account_ids))
        with db.transaction() as session:
            _next_ids(session, state)
        t0 = time.perf_counter()
        _load(db, state, people, SMALL)
        load_seconds = time.perf_counter() - t0
        _seal(db)
        _verify(db)
        today = state.day(state.entries - 1)
        clock.set_now(_at_end_of(today))
        ms_small = _timings(db, people, today, repetitions)
        with db.transaction() as session:
            from kinko.inquiries.service import statement

            lines = statement(session, people.busy, people.account_ids[0]).total
        t0 = time.perf_counter()
        _load(db, state, people, postings - SMALL)
        load_seconds += time.perf_counter() - t0
        sealed, seal_seconds = _seal(db)
        _analyze(db)
        verified, verify_seconds = _verify(db)
        today = state.day(state.entries - 1)
        clock.set_now(_at_end_of(today))
        ms_large = _timings(db, people, today, repetitions)
        with db.transaction() as session:
            from kinko.ledger.service import check_books

            if not check_books(session).ok:
                raise BenchError("the generated history does not balance (check_books)")
    finally:
        clock.set_now(None)
        db.dispose()
    return Report(backend=make_url(url).get_backend_name(), postings_small=SMALL,
                  postings_large=postings, ms_small=ms_small, ms_large=ms_large,
                  seal_events=sealed, seal_seconds=seal_seconds, verify_events=verified,
                  verify_seconds=verify_seconds, load_seconds=load_seconds,
                  statement_lines=lines, repetitions=repetitions)


@contextmanager
def _scratch(database_url: str) -> Iterator[str]:
    """A scratch database for the run on the server (or beside the file) of the URL."""
    try:
        url = make_url(database_url)
    except ArgumentError as exc:
        raise BenchError(f"not a database URL: {database_url!r}") from exc
    backend = url.get_backend_name()
    if backend == "sqlite":
        where = Path(url.database).parent if url.database and url.database != ":memory:" \
            else Path(tempfile.gettempdir())
        path = where / f"kinko_scale_{uuid.uuid4().hex[:10]}.sqlite3"
        try:
            yield url.set(database=str(path)).render_as_string(hide_password=False)
        finally:
            for suffix in ("", "-wal", "-shm", "-journal"):
                with suppress(OSError):
                    os.unlink(f"{path}{suffix}")
        return
    pg = postgres_url(database_url)
    admin = create_engine(pg, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 10})
    try:
        try:
            with admin.connect() as conn:
                conn.execute(text("SELECT 1"))
        except DBAPIError as exc:
            server = f"{pg.host or 'localhost'}:{pg.port or 5432}"
            raise BenchError(f"cannot connect to PostgreSQL at {server}: {one_line(exc)}"
                             ) from exc
        with scratch_databases(admin, pg, "kinko_scale") as (scratch,):
            yield scratch.render_as_string(hide_password=False)
    finally:
        admin.dispose()


def measure(database_url: str, postings: int, repetitions: int = REPETITIONS) -> Report:
    with _scratch(database_url) as url:
        return _run_phases(url, postings, repetitions)


def _print(report: Report) -> None:
    data = report.as_json()
    lines = [f"cost in history on {report.backend}: {report.postings_small:,} → "
             f"{report.postings_large:,} postings (median of {report.repetitions} calls, ms)"]
    for name in TIMINGS:
        lines.append(f"  {name:<18} {data[f'{name}_ms_small']:9.3f} → "
                     f"{data[f'{name}_ms_large']:9.3f}   growth {data[f'{name}_growth']}")
    lines.append(f"  audit seal         {data['seal_events_per_s']:>12,} events/s "
                 f"({report.seal_events:,} events)")
    lines.append(f"  audit verify       {data['verify_events_per_s']:>12,} events/s "
                 f"({report.verify_events:,} events)")
    lines.append(f"  history loaded in {report.load_seconds:.1f} s")
    typer.echo("\n".join(lines))


def run(database_url: str, postings: int, json_output: bool,
        repetitions: int = REPETITIONS) -> None:
    """`kinko bench scale`: print the figures; exit 2 with one line when the setup is refused."""
    report = measured(lambda: measure(database_url, postings, repetitions),
                      interrupted="interrupted; scratch database dropped")
    _print(report)
    if json_output:
        typer.echo(json.dumps(report.as_json(), ensure_ascii=False))

