"""`kinko bench debit`: a small 91 file through the whole cycle on PostgreSQL, its JSON keys,
and a clear refusal of a database that is not PostgreSQL."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from kinko.cli import app


def test_small_run_reports_every_figure_and_conserves(pg_url: str) -> None:
    from kinko.bench.pg import postgres_url

    server = postgres_url(pg_url).set(database="postgres").render_as_string(hide_password=False)
    result = CliRunner().invoke(app, ["bench", "debit", "--database-url", server,
                                      "--records", "300", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output.strip().splitlines()[-1])
    assert {"validate_s", "debits_per_s", "result_s", "total_conserved"} <= set(figures)
    assert figures["total_conserved"] is True
    assert figures["records"] == 300 and figures["state"] == "settled"


def test_refuses_sqlite() -> None:
    result = CliRunner().invoke(app, ["bench", "debit", "--database-url", "sqlite:///x.db",
                                      "--records", "10"])
    assert result.exit_code == 2
    assert "PostgreSQL" in result.output
