"""`kinko bench …`: benchmarks that print figures beside a reference measured in the same run."""

from __future__ import annotations

import typer

app = typer.Typer(help="ベンチマーク / benchmarks", no_args_is_help=True)


@app.command("zengin")
def zengin(
    records: int = typer.Option(100_000, help="records in the generated 総合振込 file"),
    json_output: bool = typer.Option(False, "--json", help="print one JSON object last"),
) -> None:
    """Parse+validate rate of a 総合振込 file vs raw struct.iter_unpack over the same bytes."""
    from kinko.bench.zengin import run

    run(records=records, json_output=json_output)


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
