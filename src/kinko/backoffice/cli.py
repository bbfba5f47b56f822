"""`kinko operators …`: create operators and issue their console access keys (OPS-1)."""

from __future__ import annotations

import typer
from sqlalchemy.orm import Session

from kinko.backoffice.models import OperatorRole
from kinko.clihelpers import DATABASE_URL_OPTION, database, fail

app = typer.Typer(help="行員 / bank operators", no_args_is_help=True)

ACTOR = "system:cli"


def _roles(values: list[str]) -> list[OperatorRole]:
    try:
        return [OperatorRole(v) for v in values]
    except ValueError:
        fail("roles are: " + ", ".join(r.value for r in OperatorRole))


def _show_key(code: str, key: str) -> None:
    typer.echo(f"行員 {code} のアクセスキー / access key of operator {code} "
               "(shown only now, stored only as a hash):")
    typer.echo(key)


@app.command()
def create(
    code: str = typer.Argument(..., help="行員番号 / operator code, 1–20 characters"),
    name: str = typer.Option(..., "--name", help="氏名 / the operator's name"),
    role: list[str] = typer.Option(..., "--role", help="teller, security, claims, …; repeat"),
    branch: str | None = typer.Option(None, "--branch", help="branch code"),
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """Create an operator and print their new access key once."""
    from kinko.backoffice.operators import create_operator, issue_access_key
    from kinko.errors import DomainError

    roles = _roles(role)

    def run(s: Session) -> str:
        operator = create_operator(s, code=code, name=name, roles=roles, branch_code=branch,
                                   actor=ACTOR)
        return issue_access_key(s, operator_id=operator.id, actor=ACTOR)

    try:
        key = database(database_url).run(run)
    except DomainError as exc:
        fail(f"{exc.code}: {exc.describe()}")
    _show_key(code, key)


@app.command("issue-key")
def issue_key(
    code: str = typer.Argument(..., help="行員番号 / operator code"),
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """Issue a new access key (the old one and its console sessions stop working)."""
    from kinko.backoffice.operators import issue_access_key, operator_by_code
    from kinko.errors import DomainError

    def run(s: Session) -> str | None:
        operator = operator_by_code(s, code)
        if operator is None:
            return None
        return issue_access_key(s, operator_id=operator.id, actor=ACTOR)

    try:
        key = database(database_url).run(run)
    except DomainError as exc:
        fail(f"{exc.code}: {exc.describe()}")
    if key is None:
        fail(f"no operator {code}")
    _show_key(code, key)
