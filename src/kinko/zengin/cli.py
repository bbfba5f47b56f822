"""`kinko zengin` commands."""

import typer

app = typer.Typer(help="zengin", no_args_is_help=True)
