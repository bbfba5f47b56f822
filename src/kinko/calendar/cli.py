"""`kinko calendar` commands."""

import typer

app = typer.Typer(help="calendar", no_args_is_help=True)
