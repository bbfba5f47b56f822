"""`kinko bench login` runs and reports its figures beside the same-run reference (AUTH-10)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from kinko.cli import app


def test_bench_login_prints_figures_and_json() -> None:
    result = CliRunner().invoke(app, ["bench", "login", "--logins", "10", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output.strip().splitlines()[-1])
    assert figures["login_p50_ms"] > 0 and figures["verify_p50_ms"] > 0
    assert figures["ratio"] == round(figures["login_p50_ms"] / figures["verify_p50_ms"], 3)
    assert figures["argon2"]["memory_kib"] >= 19 * 1024  # production parameters, not test ones
