"""`kinko claims` commands: decide a case file with the engine (docs/claims.md)."""

from __future__ import annotations

import json
from datetime import datetime, time
from pathlib import Path
from typing import Any

import typer
from sqlalchemy.orm import Session

from kinko.clihelpers import DATABASE_URL_OPTION, both, database, fail

app = typer.Typer(help=both("補てん"), no_args_is_help=True)

EXIT_MALFORMED = 2


@app.command("evaluate")
def evaluate(
    case_file: Path = typer.Argument(..., metavar="CASE.json",
                                     help="A case document (docs/claims.md); - for stdin."),
) -> None:
    """Print the engine's decision on a case as JSON (exit 0), or name the bad field (exit 2)."""
    import sys

    from kinko import clock
    from kinko.claims.case import CaseError, load_case
    from kinko.claims.rules import decide
    from kinko.policy import policy_at

    try:
        text = sys.stdin.read() if str(case_file) == "-" else case_file.read_text(
            encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(f"error: cannot read {case_file}: {exc}", err=True)
        raise typer.Exit(EXIT_MALFORMED) from None
    try:
        case = load_case(text)
    except CaseError as exc:
        typer.echo(f"error: malformed case: field {exc.field}: {exc.message}", err=True)
        raise typer.Exit(EXIT_MALFORMED) from None
    # The policy in force on the notification day decides (POL-1).
    moment = datetime.combine(case.notified_on, time(12, 0), tzinfo=clock.JST)
    policy = policy_at(moment).compensation
    typer.echo(json.dumps(decide(case, policy).as_dict(), ensure_ascii=False, indent=2))


@app.command("schema")
def schema() -> None:
    """Print the JSON Schema of the case document."""
    from kinko.claims.case import case_schema

    typer.echo(json.dumps(case_schema(), ensure_ascii=False, indent=2))


@app.command("case")
def case(
    claim_id: int = typer.Argument(..., min=1, help="The claim's number."),
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """Print the case document of a claim: as approved once decided, else as the records and
    the findings make it now — the input `kinko claims evaluate` re-decides."""
    from kinko.claims import service
    from kinko.claims.errors import ClaimNotFound

    def load(s: Session) -> dict[str, Any]:
        claim = service.get_claim(s, claim_id)
        if claim.case_document is not None:
            stored: dict[str, Any] = json.loads(claim.case_document)
            return stored
        return service.assess(s, claim).case

    try:
        document = database(database_url).run(load)
    except ClaimNotFound:
        fail(f"no claim {claim_id}", code=1)
    typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
