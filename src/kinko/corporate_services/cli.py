"""``kinko corporate …``: the bank side of the corporate services.

``zengin-statement`` writes one account's 入出金取引明細 (03) or 振込入金通知 (01) for a period,
as the customer would download it (ZEN-2).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from kinko.clihelpers import DATABASE_URL_OPTION, database, fail
from kinko.corporate_services import statements
from kinko.errors import DomainError
from kinko.ledger.repository import find_account

app = typer.Typer(help="法人サービス / corporate services (ZEN-2, DD-1, DD-2)",
                  no_args_is_help=True)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"not a date: {text!r} (use YYYY-MM-DD)")


@app.command("zengin-statement")
def zengin_statement(
    account: str = typer.Option(..., help="BRANCH-NUMBER, e.g. 001-1234567"),
    date_from: str = typer.Option(..., "--from", help="first day (YYYY-MM-DD)"),
    date_to: str = typer.Option(..., "--to", help="last day (YYYY-MM-DD)"),
    kind: statements.Kind = typer.Option(statements.Kind.STATEMENT,
                                         help="03 入出金取引明細 or 01 振込入金通知"),
    form: statements.Form = typer.Option(statements.Form.ZENGIN, help="zengin or camt"),
    edi: bool = typer.Option(False, help="attach the EDI information"),
    out: Path = typer.Option(..., help="file to write"),
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """Write a Zengin statement of one account (入出金取引明細 / 振込入金通知)."""
    branch, _, number = account.partition("-")
    start, stop = _day(date_from), _day(date_to)
    db = database(database_url)
    try:
        with db.transaction() as s:
            found = find_account(s, branch, number)
            if found is None:
                fail(f"no account {account}")
            file = statements.build(s, [found], kind, start, stop, with_edi=edi)
            download = statements.render(file, kind, form, out.stem)
    except DomainError as exc:
        fail(f"{exc.code}: {exc.message_ja} / {exc.message_en} {exc.detail or ''}")
    out.write_bytes(download.content)
    typer.echo(f"{out}: {len(download.content)} bytes")
