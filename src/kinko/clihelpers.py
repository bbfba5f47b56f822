"""Small helpers shared by the Typer sub-apps: the database option, errors, moments."""

from __future__ import annotations

import os
from datetime import datetime
from typing import NoReturn

import typer

from kinko import catalogue, clock
from kinko.db.engine import Database, get_database

DATABASE_URL_OPTION = typer.Option(
    None, "--database-url", envvar="KINKO_DATABASE_URL",
    help="SQLAlchemy URL (default: the SQLite file in KINKO_DATA_DIR)",
)


def database(url: str | None) -> Database:
    return get_database(url or None)


CLI = "cli"  # the catalogue's context for what the command line tells an operator


def say(ja: str, /, **params: object) -> str:
    """A line for the operator: ``日本語 / English`` (the English from the catalogue, under
    ``msgctxt "cli"``, ``{name}`` parameters in both), or one language when ``KINKO_LANG`` is
    ``ja`` or ``en``."""
    text_ja, text_en = catalogue.pair(ja, CLI, **params)
    lang = os.environ.get("KINKO_LANG", "")
    if lang == "ja":
        return text_ja
    if lang == "en":
        return text_en
    return f"{text_ja} / {text_en}"


CLI_HELP = "cli_help"  # the context of the commands' and options' help texts


def both(ja: str, /) -> str:
    """A command's or option's help text, ``日本語 / English`` (the English from the
    catalogue, under ``msgctxt "cli_help"``): ``--help`` is read before any language is
    chosen, so it always shows both."""
    _, en = catalogue.pair(ja, CLI_HELP)
    return ja if en == ja else f"{ja} / {en}"


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"{say('エラー')}: {message}", err=True)
    raise typer.Exit(code)


def moment(text: str | None) -> datetime | None:
    """Parse ``--at``: an ISO date (midnight JST) or datetime; None means now."""
    if text is None:
        return None
    try:
        return clock.parse_moment(text)
    except ValueError:
        fail(f"not a date or datetime: {text!r} (use YYYY-MM-DD or YYYY-MM-DDTHH:MM)")
