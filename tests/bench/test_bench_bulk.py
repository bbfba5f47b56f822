"""`kinko bench bulk`: a small 総合振込 with other-bank payees, paid by two runners side by
side on PostgreSQL; every posting counted and the total conserved."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from kinko.cli import app


def test_small_run_with_two_runners_reports_its_figures_and_conserves(pg_url: str) -> None:
    from kinko.bench.pg import postgres_url

    server = postgres_url(pg_url).set(database="postgres").render_as_string(hide_password=False)
    result = CliRunner().invoke(app, ["bench", "bulk", "--database-url", server,
                                      "--payees", "400", "--other-banks", "0.1",
                                      "--runners", "2", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output.strip().splitlines()[-1])
    assert {"validate_s", "postings_per_s", "total_conserved", "runners"} <= set(figures)
    assert figures["total_conserved"] is True and figures["runners"] == 2
    # Two postings per payee (own bank: suspense → payee; other bank: suspense → clearing)
    # and the three of the one debit of total + fees.
    assert figures["postings"] == 2 * 400 + 3
