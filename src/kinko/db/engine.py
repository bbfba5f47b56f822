"""Engine and unit of work.

The boundary (a request, a job, a CLI command) owns the transaction: it opens one with
:meth:`Database.transaction` or :meth:`Database.run`, and services only use the session they
are handed — they never commit. :meth:`Database.run` retries the whole use case on a
serialization failure or deadlock (SQLSTATE 40001 / 40P01, and SQLite's "database is locked").
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")

RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


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


class Database:
    """One database: its engine and the unit-of-work helpers the boundaries use."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = make_url(url)
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            # Let SQLAlchemy emit BEGIN itself (see _sqlite_begin_immediate).
            kwargs["connect_args"]["isolation_level"] = None
        else:
            # No pool_pre_ping: it costs a SELECT 1 round trip per transaction (a quarter of a
            # transfer's). A connection found dead is retried by ``run`` instead (see there).
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800)
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin_immediate)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=True)

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
            with session.begin():
                yield session
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
        a locked SQLite file), with jittered exponential backoff; other errors propagate.
        """
        for attempt in range(1, attempts + 1):
            committing = False
            try:
                with self.transaction() as session:
                    result = use_case(session, *args, **kwargs)
                    committing = True
                return result
            except DBAPIError as exc:
                # A connection that died before COMMIT was sent changed nothing: run again.
                # One that died during COMMIT may have committed: never guess, raise.
                dead = exc.connection_invalidated and not committing
                if attempt == attempts or not (is_retryable(exc) or dead):
                    raise
                delay = min(0.5, 0.002 * 2**attempt) * (0.5 + random.random())  # noqa: S311
                log.debug("retrying %s after %s (attempt %d)", use_case, exc.orig, attempt)
                time.sleep(delay)
        raise AssertionError("unreachable")

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
