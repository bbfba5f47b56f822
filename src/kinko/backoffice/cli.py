"""`kinko operators …`: the first administrators of a new installation (OPS-1).

`kinko operators create` is for setting up: it works while fewer than two active supervisors
exist (one to ask and one to approve). From then on operators are created, and their roles
changed, in the console with four eyes. It prints the operator's one-time initial password
(to be changed at the first sign-in) and the TOTP secret and otpauth:// URI to put into an
authenticator app.
"""

from __future__ import annotations

import typer
from sqlalchemy.orm import Session

from kinko.backoffice.models import OperatorRole
from kinko.clihelpers import DATABASE_URL_OPTION, both, database, fail, say

app = typer.Typer(help=both("行員"), no_args_is_help=True)

ACTOR = "system:cli"
BOOTSTRAP_SUPERVISORS = 2


def _roles(values: list[str]) -> list[OperatorRole]:
    try:
        return [OperatorRole(v) for v in values]
    except ValueError:
        fail("roles are: " + ", ".join(r.value for r in OperatorRole))


@app.command()
def create(
    code: str = typer.Argument(..., help=both("行員番号")),
    name: str = typer.Option(..., "--name", help=both("氏名")),
    role: list[str] = typer.Option(["supervisor"], "--role",
                                   help="supervisor, policy_admin, security, teller, …; "
                                        "repeat"),
    branch: str | None = typer.Option(None, "--branch", help="branch code"),
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """Create one of the first administrators; print their initial password and TOTP secret."""
    from kinko.backoffice.operators import (
        InitialCredentials,
        active_supervisors,
        create_operator,
        issue_initial_credentials,
    )
    from kinko.errors import DomainError

    roles = _roles(role)

    def run(s: Session) -> InitialCredentials | None:
        if active_supervisors(s) >= BOOTSTRAP_SUPERVISORS:
            return None
        operator = create_operator(s, code=code, name=name, roles=roles, branch_code=branch,
                                   actor=ACTOR)
        return issue_initial_credentials(s, operator_id=operator.id, actor=ACTOR)

    try:
        issued = database(database_url).run(run)
    except DomainError as exc:
        fail(f"{exc.code}: {exc.describe()}")
    if issued is None:
        fail(say("監督者はすでに {n} 人います。行員はコンソール (/operator/operators) で登録し、"
                 "もう 1 人の監督者が承認します", n=BOOTSTRAP_SUPERVISORS))
    typer.echo(say("行員 {code} を登録しました", code=issued.code))
    typer.echo(say("初期パスワード（初回ログインで変更が必要。この画面でのみ表示）") + ":")
    typer.echo(f"  {issued.password}")
    typer.echo(say("認証アプリに登録してください（TOTP、6 桁、30 秒）") + ":")
    typer.echo(f"  secret: {issued.totp_secret}")
    typer.echo(f"  {issued.totp_uri}")
