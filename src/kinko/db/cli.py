"""`kinko db …`: schema migrations."""

from __future__ import annotations

import typer

from kinko.clihelpers import DATABASE_URL_OPTION, both, say
from kinko.config import get_settings

app = typer.Typer(help=both("データベース"), no_args_is_help=True)


def _url(url: str | None) -> str:
    return url or get_settings().effective_database_url


@app.command()
def upgrade(database_url: str | None = DATABASE_URL_OPTION,
            revision: str = typer.Option("heads", help="target revision")) -> None:
    """Bring the schema up to date (alembic upgrade)."""
    from kinko.db.migrate import upgrade as do_upgrade

    do_upgrade(_url(database_url), revision)
    typer.echo(f"schema at {revision}")


@app.command()
def check(database_url: str | None = DATABASE_URL_OPTION) -> None:
    """Fail if the models differ from the migrations (run on an upgraded database)."""
    from alembic.util.exc import CommandError

    from kinko.db.migrate import check as do_check

    try:
        do_check(_url(database_url))
    except CommandError as exc:
        typer.echo(f"{say('エラー')}: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(say("モデルとマイグレーションは一致しています"))
