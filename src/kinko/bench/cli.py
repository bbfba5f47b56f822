"""`kinko bench …`: benchmarks that print figures beside a reference measured in the same run."""

from __future__ import annotations

from pathlib import Path

import typer

from kinko.clihelpers import both

app = typer.Typer(help=both("ベンチマーク"), no_args_is_help=True)


@app.callback()
def _throwaway_key() -> None:
    """The benchmarks build scratch data: without a configured secret key they use a random
    one for this run (passed to the servers they start through the environment)."""
    import os

    from kinko.config import reset_settings
    from kinko.keys import SecretKeyMissing, generate, keyring

    try:
        keyring()
    except SecretKeyMissing:
        os.environ["KINKO_SECRET_KEY"] = generate()
        reset_settings()


@app.command("zengin")
def zengin(
    records: int = typer.Option(100_000, help="records in the generated 総合振込 file"),
    json_output: bool = typer.Option(False, "--json", help="print one JSON object last"),
) -> None:
    """Parse+validate rate of a 総合振込 file vs raw struct.iter_unpack over the same bytes."""
    from kinko.bench.zengin import run

    run(records=records, json_output=json_output)


@app.command("bulk")
def bulk(
    database_url: str = typer.Option(..., "--database-url",
                                     help="PostgreSQL URL, SQLAlchemy form "
                                          "(postgresql+psycopg://user@host:port/db)"),
    payees: int = typer.Option(100_000, "--payees", min=1, max=100_000),
    other_banks: float = typer.Option(0.0, "--other-banks", min=0.0, max=1.0,
                                      help="share of payees at other banks"),
    runners: int = typer.Option(1, "--runners", min=1, max=8,
                                help="batch runners working side by side (as `kinko batch "
                                     "run` started that many times)"),
    json_output: bool = typer.Option(False, "--json", help="print one JSON object last"),
) -> None:
    """総合振込: upload+validate seconds and execution postings/s (validate_s, postings_per_s,
    total_conserved)."""
    from kinko.bench.bulk import run

    run(database_url=database_url, payees=payees, other_share=other_banks,
        json_output=json_output, runners=runners)


@app.command("ledger")
def ledger(
    database_url: str = typer.Option(..., "--database-url",
                                     help="PostgreSQL URL, SQLAlchemy form "
                                          "(postgresql+psycopg://user@host:port/db)"),
    clients: int = typer.Option(8, "--clients", min=1, max=64),
    seconds: float = typer.Option(10.0, "--seconds", min=1.0, max=600.0),
    batch: bool = typer.Option(False, "--batch", help="many transfers per transaction"),
    json_output: bool = typer.Option(False, "--json", help="print one JSON object last"),
) -> None:
    """Transfers/s through the ledger service vs pgbench tpcb-like on the same server."""
    from kinko.bench.ledger import run

    run(database_url=database_url, clients=clients, seconds=seconds, batch=batch,
        json_output=json_output)


@app.command("api")
def api(
    database_url: str = typer.Option(..., "--database-url",
                                     help="PostgreSQL URL, SQLAlchemy form "
                                          "(postgresql+psycopg://user@host:port/db)"),
    clients: int = typer.Option(8, "--clients", min=1, max=64),
    seconds: float = typer.Option(10.0, "--seconds", min=1.0, max=600.0),
    # One worker measured better than two on the 2-core machine (PostgreSQL, the clients and
    # the server share the cores): more transfers/s and half the p99. See kinko.bench.api.
    workers: int = typer.Option(1, "--workers", min=1, max=16, help="uvicorn worker processes"),
    json_output: bool = typer.Option(False, "--json", help="print one JSON object last"),
) -> None:
    """Confirmed transfers/s through the HTTP API (enter + card step-up + confirm) vs pgbench."""
    from kinko.bench.api import run

    run(database_url=database_url, clients=clients, seconds=seconds, workers=workers,
        json_output=json_output)


@app.command("login")
def login(
    logins: int = typer.Option(200, "--logins", min=10, max=10_000),
    database_url: str | None = typer.Option(None, "--database-url",
                                            help="a sqlite:/// scratch file (default: temp)"),
    json_output: bool = typer.Option(False, "--json", help="print one JSON object last"),
) -> None:
    """Login p50/p99 with production argon2id vs the bare verify of the same hash."""
    from kinko.bench.login import run

    run(database_url=database_url, logins=logins, json_output=json_output)


@app.command("bank")
def bank(
    database_url: str | None = typer.Option(
        None, "--database-url",
        help="a PostgreSQL server to create the scratch bank on (SQLAlchemy form); left out, "
             "the bench starts a cluster of its own (needed for db-restart)"),
    seconds: float = typer.Option(60.0, "--seconds", min=1.0, max=3600.0),
    clients: int = typer.Option(8, "--clients", min=1, max=64),
    faults: str | None = typer.Option(
        None, "--faults",
        help="comma-separated: app-kill,batch-kill,db-restart, or none (default: every "
             "fault the database allows)"),
    json_output: bool = typer.Option(False, "--json", help="print one JSON object"),
    log: Path | None = typer.Option(
        None, "--log", help="append the app's and the batch runners' output to this file "
                            "(the tracebacks behind a 500)"),
) -> None:
    """The bank under faults (kill -9 of app and batch processes, PostgreSQL crashes) through
    the real HTTP API, then a checker: money conserved, every acknowledged transfer booked
    exactly once, the audit chain intact."""
    from kinko.bench.bank import run

    run(database_url=database_url, seconds=seconds, clients=clients, faults=faults,
        json_output=json_output, log_path=log)

@app.command("scale")
def scale(
    database_url: str = typer.Option(..., "--database-url",
                                     help="PostgreSQL server URL (a scratch database is created "
                                          "and dropped) or a sqlite:/// path (a scratch file "
                                          "beside it)"),
    postings: int = typer.Option(1_000_000, "--postings", min=10_000, max=100_000_000,
                                 help="postings of history in the large phase"),
    repetitions: int = typer.Option(200, "--repetitions", min=1, max=100_000,
                                    help="timed calls per figure (the median is reported)"),
    json_output: bool = typer.Option(False, "--json", help="print one JSON object last"),
) -> None:
    """Request costs at 10,000 postings and at N: statement, lists, balance, limit, audit."""
    from kinko.bench.scale import run

    run(database_url=database_url, postings=postings, json_output=json_output,
        repetitions=repetitions)


@app.command("face")
def face(
    verifications: int = typer.Option(30, "--verifications", min=3, max=10_000),
    json_output: bool = typer.Option(False, "--json", help="print one JSON object last"),
) -> None:
    """Face verifications/s and p50 with the built-in offline matcher on one core."""
    from kinko.bench.face import run

    run(verifications=verifications, json_output=json_output)
@app.command("debit")
def debit(
    database_url: str = typer.Option(..., "--database-url",
                                     help="PostgreSQL URL, SQLAlchemy form "
                                          "(postgresql+psycopg://user@host:port/db)"),
    records: int = typer.Option(100_000, "--records", min=1, max=1_000_000,
                                help="records in the generated 口座振替 (91) file"),
    json_output: bool = typer.Option(False, "--json", help="print one JSON object last"),
) -> None:
    """A 91 file through validation, the debit day and the result file (DD-1)."""
    from kinko.bench.debit import run

    run(database_url=database_url, records=records, json_output=json_output)
