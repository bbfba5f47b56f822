"""`kinko batch run`: carry out due work (safe to run twice, or on many machines at once)."""

from __future__ import annotations

import sys

import typer

from kinko.clihelpers import DATABASE_URL_OPTION, database, moment

app = typer.Typer(help="バッチ / due-work runner", no_args_is_help=True)


@app.command()
def run(
    at: str | None = typer.Option(None, "--at", help="run as of this moment (ISO, JST)"),
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """Run every due outbox message and scheduled job, then seal the audit chain."""
    from kinko.batch.handlers import load_handlers
    from kinko.batch.service import RunReport, run_due

    load_handlers()
    when = moment(at)
    show = sys.stderr.isatty()

    def progress(report: RunReport) -> None:
        if show:
            typer.echo(f"\r処理中 / running: {report.done} done, {report.retried} retried, "
                       f"{report.failed} failed", nl=False, err=True)

    report = run_due(database(database_url), at=when, progress=progress)
    if show:
        typer.echo(err=True)
    typer.echo(f"done {report.done}, retried {report.retried}, failed {report.failed}, "
               f"audit events sealed {report.sealed}, tokens renewed {report.tokens_renewed}")
    for topic, count in sorted(report.by_topic.items()):
        typer.echo(f"  {topic}: {count}")
    if report.failed:
        raise typer.Exit(1)
