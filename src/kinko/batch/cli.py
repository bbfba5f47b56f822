"""`kinko batch run`: carry out due work (safe to run twice, or on many machines at once)."""

from __future__ import annotations

import sys

import typer

from kinko.clihelpers import DATABASE_URL_OPTION, both, database, moment, say

app = typer.Typer(help=both("バッチ"), no_args_is_help=True)


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
            line = say("処理中: 完了 {done}、再試行 {retried}、失敗 {failed}",
                       done=report.done, retried=report.retried, failed=report.failed)
            typer.echo(f"\r{line}", nl=False, err=True)

    report = run_due(database(database_url), at=when, progress=progress)
    if show:
        typer.echo(err=True)
    typer.echo(say("完了 {done}、再試行 {retried}、失敗 {failed}、監査ログの封印 {sealed} 件、"
                   "トークンの更新 {renewed} 件", done=report.done, retried=report.retried,
                   failed=report.failed, sealed=report.sealed, renewed=report.tokens_renewed))
    for topic, count in sorted(report.by_topic.items()):
        typer.echo(f"  {topic}: {count}")
    if report.failed:
        raise typer.Exit(1)
