"""`kinko ledger check`: prove the books balance and every balance matches its postings (LED-2).

Run it after a restore, a migration or an incident: it reads only, so it is safe at any time.
Exit 0 with a summary when the books hold; exit 1 naming the first difference otherwise.
"""

from __future__ import annotations

import typer
from sqlalchemy.orm import Session

from kinko.clihelpers import DATABASE_URL_OPTION, both, database

app = typer.Typer(help=both("元帳"), no_args_is_help=True)


@app.command("check")
def check(database_url: str | None = DATABASE_URL_OPTION) -> None:
    """Σ debits = Σ credits, and every account's balance rebuilt from its postings."""
    from kinko.ledger.models import Account
    from kinko.ledger.service import LedgerCheck, check_books

    def run(s: Session) -> tuple[LedgerCheck, int, str | None]:
        result = check_books(s)
        accounts = s.query(Account).count()
        first = None
        if result.mismatched:
            account_id = min(result.mismatched)
            account = s.get(Account, account_id)
            stored, rebuilt = result.mismatched[account_id]
            where = "" if account is None else f" ({account.branch_code}-{account.number})"
            first = (f"account {account_id}{where}: stored balance {stored:,} yen, "
                     f"postings give {rebuilt:,} yen (difference {stored - rebuilt:,})")
        return result, accounts, first

    result, accounts, first = database(database_url).run(run)
    if result.debits != result.credits:
        typer.echo(f"NG: Σ debits {result.debits:,} yen ≠ Σ credits {result.credits:,} yen "
                   f"(difference {result.debits - result.credits:,})", err=True)
        raise typer.Exit(1)
    if first is not None:
        typer.echo(f"NG: {first}; {len(result.mismatched)} account(s) differ", err=True)
        raise typer.Exit(1)
    typer.echo(f"OK: Σ debits = Σ credits = {result.debits:,} yen; "
               f"{accounts} account balance(s) match their postings")
