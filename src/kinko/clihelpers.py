"""Small helpers shared by the Typer sub-apps: the database option, errors, moments."""

from __future__ import annotations

from datetime import datetime
from typing import NoReturn

import typer

from kinko import clock
from kinko.db.engine import Database, get_database

DATABASE_URL_OPTION = typer.Option(
    None, "--database-url", envvar="KINKO_DATABASE_URL",
    help="SQLAlchemy URL (default: the SQLite file in KINKO_DATA_DIR)",
)


def database(url: str | None) -> Database:
    return get_database(url or None)


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"エラー / error: {message}", err=True)
    raise typer.Exit(code)


def moment(text: str | None) -> datetime | None:
    """Parse ``--at``: an ISO date (midnight JST) or datetime; None means now."""
    if text is None:
        return None
    try:
        return clock.parse_moment(text)
    except ValueError:
        fail(f"not a date or datetime: {text!r} (use YYYY-MM-DD or YYYY-MM-DDTHH:MM)")
