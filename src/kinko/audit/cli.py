"""`kinko audit …`: seal and verify the tamper-evident audit chain (LED-5)."""

from __future__ import annotations

import typer

from kinko.clihelpers import DATABASE_URL_OPTION, both, database, say

app = typer.Typer(help=both("監査ログ"), no_args_is_help=True)


@app.command()
def verify(database_url: str | None = DATABASE_URL_OPTION) -> None:
    """Recompute the chain. Exit 0 if intact; otherwise exit 1 naming the first bad event."""
    from kinko.audit.service import verify as do_verify

    db = database(database_url)
    with db.transaction() as session:
        report = do_verify(session)
    typer.echo(say("封印済みの記録 {checked} 件を確認しました。未封印 {unsealed} 件",
                   checked=report.checked, unsealed=report.unsealed))
    if report.unsealed:
        typer.echo(say("未封印の記録は `kinko batch run` か `kinko audit seal` で連結されます"))
    if not report.ok:
        for problem in report.problems:
            typer.echo(say("改ざんを検出: {problem}", problem=problem), err=True)
        raise typer.Exit(1)
    typer.echo(say("監査ログは改ざんされていません"))


@app.command()
def seal(database_url: str | None = DATABASE_URL_OPTION) -> None:
    """Link every unsealed event into the chain."""
    from kinko.audit.service import seal as do_seal

    db = database(database_url)
    total = 0
    while n := db.run(do_seal):
        total += n
    typer.echo(say("{total} 件を封印しました", total=total))
