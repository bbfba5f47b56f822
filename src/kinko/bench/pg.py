"""What the PostgreSQL benchmarks share: URL checks, scratch databases, pgbench parsing,
percentiles and one-line errors. Each benchmark compares itself with pgbench's built-in
``tpcb-like`` on the same server in the same run (docs/performance.md)."""

from __future__ import annotations

import os
import re
import signal
import statistics
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import NoReturn, TypeVar

import typer
from sqlalchemy import URL, Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from kinko.clihelpers import say

_TPS = re.compile(r"^tps = ([0-9.]+) \(without initial connection time\)", re.MULTILINE)


class BenchError(Exception):
    """A condition that ends the bench with a one-line message and exit code 2."""


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"{say('エラー')}: {message}", err=True)
    raise typer.Exit(code)


T = TypeVar("T")


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def measured(measure: Callable[[], T], *, interrupted: str) -> T:
    """Run a benchmark's measurement as a command: a plain ``kill`` cleans up like Ctrl-C
    (scratch databases dropped, clients ended) and exits 130 with ``interrupted``; a refused
    set-up or a database error exits 2 with one line."""
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return measure()
    except BenchError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail(interrupted, code=130)
    except (SQLAlchemyError, OSError) as exc:
        fail(f"{type(exc).__name__}: {one_line(exc)}")
    finally:
        signal.signal(signal.SIGTERM, previous)


def percentile_ms(samples: Sequence[float], pct: int) -> float:
    """The ``pct``-th percentile of ``samples`` (seconds) in milliseconds; 0 when empty."""
    if not samples:
        return 0.0
    if len(samples) == 1:
        return samples[0] * 1000
    return statistics.quantiles(samples, n=100, method="inclusive")[pct - 1] * 1000


def parse_tps(output: str) -> float:
    """pgbench's TPS excluding connection set-up, the figure comparable with ours."""
    match = _TPS.search(output)
    if match is None:
        raise BenchError("pgbench printed no 'tps = … (without initial connection time)' line")
    return float(match.group(1))


def postgres_url(database_url: str) -> URL:
    """The SQLAlchemy URL if it names PostgreSQL, with psycopg 3 as the driver; else BenchError."""
    try:
        url = make_url(database_url)
    except ArgumentError as exc:
        raise BenchError(f"not a database URL: {database_url!r}") from exc
    if url.get_backend_name() != "postgresql":
        raise BenchError(f"the benchmark needs PostgreSQL, not {url.get_backend_name()!r} "
                         "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres)")
    # A bare postgresql:// would pick psycopg2, which Kinko does not install.
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url


def libpq_env(url: URL) -> dict[str, str]:
    """libpq environment for pgbench: the same server and user as the SQLAlchemy URL.

    The password travels in PGPASSWORD, never on the command line where ``ps`` would show it.
    """
    env = dict(os.environ)
    query_host = url.query.get("host")
    host = url.host or (query_host if isinstance(query_host, str) else None)
    for key, value in (("PGHOST", host), ("PGPORT", str(url.port) if url.port else None),
                       ("PGUSER", url.username), ("PGPASSWORD", url.password)):
        if value:
            env[key] = str(value)
        else:
            env.pop(key, None)
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    return env


def one_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return lines[0] if lines else type(orig).__name__


@contextmanager
def scratch_databases(admin: Engine, url: URL, *prefixes: str) -> Iterator[list[URL]]:
    """Create one uniquely named database per prefix on ``url``'s server; drop them after."""
    suffix = uuid.uuid4().hex[:10]
    names = [f"{prefix}_{suffix}" for prefix in prefixes]
    created: list[str] = []
    try:
        for name in names:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            created.append(name)
        yield [url.set(database=name) for name in names]
    finally:
        for name in created:
            # FORCE ends connections a killed client may have left behind.
            with suppress(SQLAlchemyError), admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def checkpoint(admin: Engine) -> None:
    """Flush dirty pages so a phase does not pay for the previous phase's writes.

    Needs superuser or pg_checkpoint; without them the phases simply run without it.
    """
    with suppress(DBAPIError), admin.connect() as conn:
        conn.execute(text("CHECKPOINT"))


def last_line(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"

