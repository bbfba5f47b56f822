"""`kinko batch` commands."""

import typer

app = typer.Typer(help="batch", no_args_is_help=True)
