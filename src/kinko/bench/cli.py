"""`kinko bench …`: benchmarks that print figures beside a reference measured in the same run."""

from __future__ import annotations

import typer

app = typer.Typer(help="ベンチマーク / benchmarks", no_args_is_help=True)


@app.command("zengin")
def zengin(
    records: int = typer.Option(100_000, help="records in the generated 総合振込 file"),
    json_output: bool = typer.Option(False, "--json", help="print one JSON object last"),
) -> None:
    """Parse+validate rate of a 総合振込 file vs raw struct.iter_unpack over the same bytes."""
    from kinko.bench.zengin import run

    run(records=records, json_output=json_output)
