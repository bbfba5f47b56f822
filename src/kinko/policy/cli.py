"""`kinko policy` commands: show the policy in force, check an override file (POL-1)."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import typer

app = typer.Typer(help="Versioned bank policy (POL-1, SPEC §13).", no_args_is_help=True)


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@app.command("show")
def show(
    at: str | None = typer.Option(
        None, "--at", metavar="DATETIME",
        help="Moment to look at: YYYY-MM-DD or ISO date-time (Japan time if no zone). "
             "Default: now.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of TOML."),
) -> None:
    """Print the policy version in force at a moment, as a valid policy-file TOML table."""
    from kinko import clock
    from kinko.policy import PolicyFileError, version_at
    from kinko.policy.render import to_json, to_toml

    moment = clock.now()
    if at is not None:
        try:
            moment = clock.parse_moment(at)
        except ValueError:
            _fail(f"--at {at!r} is not a date (YYYY-MM-DD) or ISO date-time", code=2)
    try:
        version = version_at(moment)
    except PolicyFileError as exc:
        _fail(exc.describe(), code=1)
    if as_json:
        typer.echo(to_json(version, moment))
    else:
        # A TOML comment, so the whole output stays a valid policy file.
        typer.echo(f"# policy in force at {moment.isoformat()}")
        typer.echo(to_toml(version), nl=False)


@app.command("validate")
def validate(file: Path = typer.Argument(..., metavar="FILE")) -> None:
    """Check a policy override file: exit 0 if valid, else print each problem and exit 1."""
    from kinko.policy import PolicyBook, PolicyFileError

    try:
        book = PolicyBook.from_file(file)
    except PolicyFileError as exc:
        typer.echo(f"{file}: not valid", err=True)
        for problem in exc.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{file}: valid")
    for version in book.versions:
        start = "beginning" if version.is_baseline else version.effective_from.isoformat()
        note = f"  {version.note}" if version.note else ""
        typer.echo(f"  from {start}{note}")
