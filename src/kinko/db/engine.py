"""Engine and unit of work.

The boundary (a request, a job, a CLI command) owns the transaction: it opens one with
:meth:`Database.transaction` or :meth:`Database.run`, and services only use the session they
are handed — they never commit. :meth:`Database.run` retries the whole use case on a
serialization failure or deadlock (SQLSTATE 40001 / 40P01, and SQLite's "database is locked"),
a few times on a lock timeout, and on a connection that died before anything was committed.

Concurrency and faults (docs/operations.md):

- PostgreSQL connections carry ``lock_timeout``, ``statement_timeout`` and
  ``idle_in_transaction_session_timeout`` (settings), so nothing waits forever;
- a pooled connection that the server has closed (restart, ``pg_terminate_backend``) is
  replaced at checkout without a round trip: an idle connection's socket has nothing to read
  unless the server sent its goodbye or hung up;
- a SQLite file has one writer, and every transaction here is a writer (BEGIN IMMEDIATE):
  a process keeps one connection to it, which its transactions queue for first come first
  served (:class:`FairSingleConnectionPool`), in the worker thread that asked, for at most
  ``sqlite_write_wait_s``; other processes wait on ``busy_timeout`` for as long;
- :func:`fault_of` tells a database that is busy or unavailable from a bug, so that the web
  layer answers 503 with Retry-After instead of 500.
"""

from __future__ import annotations

import logging
import random
import select
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal, ParamSpec, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, QueuePool

log = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")

RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
# lock_not_available (lock_timeout, NOWAIT), query_canceled (statement_timeout).
BUSY_SQLSTATES = frozenset({"55P03", "57014"})
# Shut down, crashed, starting up or in recovery, too many connections, and class 08
# (connection exceptions).
UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300", "08000", "08001",
                                   "08003", "08004", "08006", "08007"})
# A lock timeout is retried this many times by ``run``: the holder is usually a short
# transaction, but one that keeps its locks for long should not hold a job for a minute.
BUSY_RETRIES = 2

Fault = Literal["busy", "unavailable"]


def _sqlite_pragmas(busy_ms: int) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return on_connect


def _discard_if_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Replace a pooled PostgreSQL connection that the server has already closed.

    pool_pre_ping would cost a round trip per transaction. An idle connection's socket has
    nothing to read, so a readable one means the server sent its last words (FATAL: terminating
    connection — a restart, a failover, pg_terminate_backend, idle timeout) or hung up; either
    way the connection is useless, and the pool opens a fresh one. A connection that dies
    silently (a cut network) still fails at its first statement: see ``fault_of``.
    """
    try:
        fd = dbapi_connection.fileno()
    except Exception as exc:  # closed already: psycopg raises on fileno()
        raise sa_exc.DisconnectionError("connection closed") from exc
    readable, _, _ = select.select([fd], [], [], 0)
    if readable:
        raise sa_exc.DisconnectionError("the server closed the connection")


class WriterBusy(sa_exc.TimeoutError):
    """This process's queue for the SQLite writer did not come round within the wait."""


class FairLock:
    """A lock taken first come, first served: a release hands it straight to the longest
    waiter, so a newcomer cannot barge in ahead (threading.Lock and the pool's queue let it,
    and under load some requests then lose again and again: seconds of tail latency)."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._waiters: deque[threading.Event] = deque()

    def acquire(self, timeout: float) -> bool:
        with self._mutex:
            if not self._held:
                self._held = True
                return True
            ticket = threading.Event()
            self._waiters.append(ticket)
        if ticket.wait(timeout):
            return True
        with self._mutex:
            if ticket.is_set():  # handed over just as the wait ran out
                return True
            self._waiters.remove(ticket)
            return False

    def release(self) -> None:
        with self._mutex:
            if self._waiters:
                self._waiters.popleft().set()  # still held: it passes to that waiter
            else:
                self._held = False


class FairSingleConnectionPool(QueuePool):
    """One connection, handed out first come first served (:class:`FairLock`).

    A SQLite file has one writer and every transaction here is one (BEGIN IMMEDIATE), so a
    process keeps a single connection to it — which also keeps SQLite's page cache warm, since
    no other connection of the process changes the file under it — and its transactions queue
    for that connection in order, in the worker thread that asked, for at most the pool
    timeout, instead of polling the file lock in busy_timeout's sleeps."""

    def __init__(self, creator: Any, **kwargs: Any) -> None:
        super().__init__(creator, **kwargs)
        self._fair = FairLock()

    def _do_get(self) -> ConnectionPoolEntry:
        if not self._fair.acquire(self._timeout):
            raise WriterBusy(f"the SQLite writer was not free within {self._timeout:g} s")
        try:
            return super()._do_get()
        except BaseException:
            self._fair.release()
            raise

    def _do_return_conn(self, record: ConnectionPoolEntry) -> None:
        try:
            super()._do_return_conn(record)
        finally:
            self._fair.release()


def _sqlite_begin_immediate(conn: Any) -> None:
    # SQLite takes the write lock lazily, which lets two writers both read and then fail with
    # "database is locked" on upgrade. BEGIN IMMEDIATE takes it up front, so writers queue on
    # busy_timeout instead — SQLite's equivalent of a fixed lock order.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def is_retryable(exc: BaseException) -> bool:
    """True for errors after which the whole transaction can safely be run again."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate in RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(orig)


def _sqlstate(exc: DBAPIError) -> str | None:
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return state if isinstance(state, str) else None


def _sqlite_fault(text: str) -> Fault | None:
    if "locked" in text or "busy" in text:
        return "busy"
    if "unable to open" in text or "disk I/O" in text:
        return "unavailable"
    return None  # no such table, a constraint: a bug, not a fault


def fault_of(exc: BaseException) -> Fault | None:
    """Whether ``exc`` says the database is busy (try again in a moment) or unavailable (down,
    restarting, in recovery, connection lost); None for anything else, which is a bug."""
    fault: Fault | None = None
    if isinstance(exc, sa_exc.TimeoutError):
        fault = "busy"  # no pooled connection (SQLite: the writer queue) within the wait
    elif isinstance(exc, sa_exc.DisconnectionError):
        fault = "unavailable"
    elif isinstance(exc, DBAPIError):
        state = _sqlstate(exc)
        if exc.connection_invalidated or state in UNAVAILABLE_SQLSTATES:
            fault = "unavailable"
        elif state in RETRYABLE_SQLSTATES or state in BUSY_SQLSTATES:
            fault = "busy"
        elif state is None and isinstance(exc, sa_exc.OperationalError):
            if type(exc.orig).__module__.startswith("sqlite3"):
                fault = _sqlite_fault(str(exc.orig))
            else:
                # The driver's own OperationalError without a SQLSTATE: refused, reset,
                # timed out — the server is not there.
                fault = "unavailable"
    return fault


class Database:
    """One database: its engine and the unit-of-work helpers the boundaries use.

    The timeouts default to the settings (``KINKO_DB_*``, ``KINKO_SQLITE_WRITE_WAIT_S``);
    0 turns a PostgreSQL limit off (bulk loads that run one long statement on purpose).
    """

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10,
                 lock_timeout_ms: int | None = None, statement_timeout_ms: int | None = None,
                 idle_in_transaction_timeout_ms: int | None = None,
                 sqlite_write_wait_s: float | None = None) -> None:
        from kinko.config import get_settings

        settings = get_settings()
        self.url = make_url(url)
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        write_wait = (settings.sqlite_write_wait_s if sqlite_write_wait_s is None
                      else sqlite_write_wait_s)
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": write_wait}
            # Let SQLAlchemy emit BEGIN itself (see _sqlite_begin_immediate).
            kwargs["connect_args"]["isolation_level"] = None
            if (self.url.database or ":memory:") != ":memory:":
                kwargs.update(poolclass=FairSingleConnectionPool, pool_size=1, max_overflow=0,
                              pool_timeout=write_wait)
        else:
            # No pool_pre_ping: it costs a SELECT 1 round trip per transaction (a quarter of a
            # transfer's). A connection the server has closed is replaced at checkout
            # (_discard_if_closed); one that dies silently is retried by ``run``.
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800)
            if self.is_postgres:
                limits = {
                    "lock_timeout": (settings.db_lock_timeout_ms if lock_timeout_ms is None
                                     else lock_timeout_ms),
                    "statement_timeout": (settings.db_statement_timeout_ms
                                          if statement_timeout_ms is None
                                          else statement_timeout_ms),
                    "idle_in_transaction_session_timeout": (
                        settings.db_idle_in_transaction_timeout_ms
                        if idle_in_transaction_timeout_ms is None
                        else idle_in_transaction_timeout_ms),
                }
                options = " ".join(f"-c {name}={int(ms)}" for name, ms in limits.items())
                # connect_timeout: a server that does not answer at all (a cut network) is
                # reported as unavailable within seconds, not after the kernel's TCP timeout.
                kwargs["connect_args"] = {"options": options, "connect_timeout": 5}
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas(int(write_wait * 1000)))
            event.listen(self.engine, "begin", _sqlite_begin_immediate)
        else:
            event.listen(self.engine, "checkout", _discard_if_closed)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=True)

    def new_session(self) -> Session:
        """A session not yet in a transaction: no I/O until its first statement. The caller
        commits or rolls back and closes it (:meth:`transaction` does all three)."""
        return self._sessions()

    @property
    def dialect(self) -> str:
        return self.url.get_backend_name()

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit when the block ends normally, roll back on any error."""
        session = self._sessions()
        try:
            # Not ``with session.begin()``: the request path may roll back and go on in a new
            # transaction once, when its connection died at its first statement (web.auth).
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def run(
        self,
        use_case: Callable[..., T],
        /,
        *args: Any,
        attempts: int = 12,
        **kwargs: Any,
    ) -> T:
        """Run ``use_case(session, *args, **kwargs)`` in one transaction, retried as a whole.

        Retries only errors after which nothing was committed (serialization failure, deadlock,
        a locked SQLite file, a lock timeout at most ``BUSY_RETRIES`` times, a connection lost
        or refused before COMMIT), with jittered exponential backoff; other errors propagate.
        """
        busy = 0
        for attempt in range(1, attempts + 1):
            committing = False
            try:
                with self.transaction() as session:
                    result = use_case(session, *args, **kwargs)
                    committing = True
                return result
            except (DBAPIError, sa_exc.TimeoutError) as exc:
                # A connection that died before COMMIT was sent changed nothing: run again.
                # One that died during COMMIT may have committed: never guess, raise.
                fault = fault_of(exc)
                dead = fault == "unavailable" and not committing
                waited = (isinstance(exc, sa_exc.TimeoutError)
                          or (isinstance(exc, DBAPIError) and _sqlstate(exc) == "55P03"))
                busy += waited
                retry = (isinstance(exc, DBAPIError) and is_retryable(exc)) or dead or (
                    waited and busy <= BUSY_RETRIES)
                if attempt == attempts or not retry:
                    raise
                delay = min(0.5, 0.002 * 2**attempt) * (0.5 + random.random())  # noqa: S311
                log.debug("retrying %s after %s (attempt %d)", use_case, exc, attempt)
                time.sleep(delay)
        raise AssertionError("unreachable")

    def run_single_statement(self, use_case: Callable[..., T], /, *args: Any,
                             attempts: int = 12, **kwargs: Any) -> T:
        """Run a use case whose every write is ONE statement, in one round trip.

        A single SQL statement is atomic on its own, so on PostgreSQL it is sent without
        BEGIN and COMMIT (autocommit): one round trip instead of three. That is only right
        for a use case that changes the database with at most one statement — the ledger's
        ``post`` on PostgreSQL is one data-modifying CTE that checks, locks and writes
        everything — and whose other statements only read. On SQLite (or anywhere else) this
        is :meth:`run`.

        Retried only for errors that prove nothing was written (serialization failure,
        deadlock, lock timeout); a connection lost mid-statement may have committed and is
        raised, as a lost COMMIT is by :meth:`run`.
        """
        if not self.is_postgres:
            return self.run(use_case, *args, attempts=attempts, **kwargs)
        busy = 0
        for attempt in range(1, attempts + 1):
            try:
                with Session(self._autocommit, expire_on_commit=False) as session:
                    result = use_case(session, *args, **kwargs)
                    # No COMMIT goes out (nothing is open); this only runs the session's
                    # before-commit work, which a true single-statement use case has none of.
                    session.commit()
                    return result
            except DBAPIError as exc:
                waited = _sqlstate(exc) == "55P03"
                busy += waited
                retry = is_retryable(exc) or (waited and busy <= BUSY_RETRIES)
                if attempt == attempts or not retry or exc.connection_invalidated:
                    raise
                time.sleep(min(0.5, 0.002 * 2**attempt) * (0.5 + random.random()))  # noqa: S311
        raise AssertionError("unreachable")

    @property
    def _autocommit(self) -> Engine:
        engine: Engine | None = getattr(self, "_autocommit_engine", None)
        if engine is None:
            # The same pool: an execution option, not a second engine.
            engine = self._autocommit_engine = self.engine.execution_options(
                isolation_level="AUTOCOMMIT")
        return engine

    def dispose(self) -> None:
        self.engine.dispose()


_databases: dict[str, Database] = {}


def get_database(url: str | None = None) -> Database:
    """The process-wide Database for ``url`` (default: the settings' URL)."""
    from kinko.config import get_settings

    settings = get_settings()
    url = url or settings.effective_database_url
    if url not in _databases:
        if url.startswith("sqlite:///"):
            from pathlib import Path

            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        _databases[url] = Database(url, echo=settings.sql_echo)
    return _databases[url]
