"""`kinko audit …`: seal and verify the tamper-evident audit chain (LED-5)."""

from __future__ import annotations

import typer

from kinko.clihelpers import DATABASE_URL_OPTION, database

app = typer.Typer(help="監査ログ / audit log", no_args_is_help=True)


@app.command()
def verify(database_url: str | None = DATABASE_URL_OPTION) -> None:
    """Recompute the chain. Exit 0 if intact; otherwise exit 1 naming the first bad event."""
    from kinko.audit.service import verify as do_verify

    db = database(database_url)
    with db.transaction() as session:
        report = do_verify(session)
    typer.echo(f"checked {report.checked} sealed events; {report.unsealed} not yet sealed")
    if report.unsealed:
        typer.echo("unsealed events are linked by `kinko batch run` or `kinko audit seal`")
    if not report.ok:
        for problem in report.problems:
            typer.echo(f"改ざんを検出 / TAMPERED: {problem}", err=True)
        raise typer.Exit(1)
    typer.echo("audit chain intact / 監査ログは改ざんされていません")


@app.command()
def seal(database_url: str | None = DATABASE_URL_OPTION) -> None:
    """Link every unsealed event into the chain."""
    from kinko.audit.service import seal as do_seal

    db = database(database_url)
    total = 0
    while n := db.run(do_seal):
        total += n
    typer.echo(f"sealed {total} events")
