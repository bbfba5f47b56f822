"""`kinko policy` commands: show the policy in force, check an override file (POL-1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

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
    database_url: str | None = typer.Option(
        None, "--database-url", envvar="KINKO_DATABASE_URL",
        help="also apply the changes approved in the console (stored in this database)"),
) -> None:
    """Print the policy version in force at a moment, as a valid policy-file TOML table."""
    from kinko import clock
    from kinko.policy import PolicyFileError, version_at
    from kinko.policy.render import to_json, to_toml

    _console_changes(database_url)
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


def _console_changes(database_url: str | None) -> None:
    """Install the changes approved in the console, read from the database at the URL."""
    if not database_url:
        return
    from kinko.db.engine import get_database
    from kinko.policy import PolicyFileError
    from kinko.policy.changes import refresh

    try:
        get_database(database_url).run(refresh)
    except PolicyFileError as exc:
        _fail(exc.describe(), code=1)


def _side(text: str, book_in_force: Any, moment_default: Any) -> tuple[Any, str]:
    """A side of a diff: a policy file (its policy at ``moment_default``) or a moment."""
    from kinko import clock
    from kinko.policy import PolicyBook, PolicyFileError

    path = Path(text)
    if text.endswith(".toml") or path.is_file():
        try:
            return PolicyBook.from_file(path).policy_at(moment_default), f"{text}"
        except PolicyFileError as exc:
            _fail(exc.describe(), code=1)
    try:
        moment = clock.parse_moment(text)
    except ValueError:
        _fail(f"{text!r} is neither a policy file nor a date (YYYY-MM-DD) or date-time",
              code=2)
    return book_in_force.policy_at(moment), f"in force at {moment.isoformat()}"


@app.command("diff")
def diff_command(
    first: str = typer.Argument(..., metavar="FROM",
                                help="a moment (YYYY-MM-DD[THH:MM], Japan time) or a "
                                     "policy file"),
    second: str | None = typer.Argument(None, metavar="TO",
                                        help="a moment or a policy file (default: now)"),
    database_url: str | None = typer.Option(
        None, "--database-url", envvar="KINKO_DATABASE_URL",
        help="also apply the changes approved in the console (stored in this database)"),
) -> None:
    """What differs between the policy of two moments, or a file and the policy in force.

    A file stands for its own policy now; a moment for the policy in force then (the file of
    KINKO_POLICY_FILE plus, with --database-url, the changes approved in the console).
    """
    from kinko import clock
    from kinko.policy import PolicyFileError, get_policy_book
    from kinko.policy.diff import diff

    try:
        _console_changes(database_url)
        book = get_policy_book()
    except PolicyFileError as exc:
        _fail(exc.describe(), code=1)
    now = clock.now()
    before, before_name = _side(first, book, now)
    if second is None:
        after, after_name = book.policy_at(now), f"in force at {now.isoformat()}"
    else:
        after, after_name = _side(second, book, now)
    changes = diff(before, after)
    typer.echo(f"--- {before_name}")
    typer.echo(f"+++ {after_name}")
    if not changes:
        typer.echo("no difference")
        return
    for path, old, new in changes:
        typer.echo(f"{path}: {_shown(old)} -> {_shown(new)}")


def _shown(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)
