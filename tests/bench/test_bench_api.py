"""`kinko bench api`: confirmed transfers through the HTTP API beside pgbench, money conserved.

Runs the real command (a scratch database, uvicorn in a subprocess, client processes) for two
seconds with two clients; it needs a PostgreSQL server and pgbench, and skips without them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tests.conftest import PG_ADMIN_URL

pytestmark = pytest.mark.postgres

KEYS = ("transfers_per_s", "p50_ms", "p99_ms", "balance_p99_ms", "pgbench_tps", "ratio",
        "total_conserved", "errors")


def _kinko(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from kinko.cli import main; main()", *args],
        capture_output=True, text=True, timeout=timeout, check=False)


def test_bench_api_prints_figures_and_conserves_money() -> None:
    if not PG_ADMIN_URL.startswith("postgresql"):
        pytest.skip("needs PostgreSQL: set KINKO_TEST_DATABASE_URL")
    if shutil.which("pgbench") is None:
        pytest.skip("needs pgbench on PATH")
    # One worker starts faster than two; the figures are not the point here.
    result = _kinko("bench", "api", "--database-url", PG_ADMIN_URL, "--clients", "2",
                    "--seconds", "2", "--workers", "1", "--json", timeout=120)
    lines = result.stdout.strip().splitlines()
    assert lines, result.stderr
    figures = json.loads(lines[-1])
    for key in KEYS:
        assert key in figures, key
    assert figures["total_conserved"] is True, result.stdout
    assert figures["transfers"] > 0 and figures["transfers_per_s"] > 0
    assert figures["pgbench_tps"] > 0
    assert figures["p99_ms"] >= figures["p50_ms"] > 0
    assert figures["ratio"] == pytest.approx(
        figures["transfers_per_s"] / figures["pgbench_tps"], rel=0.01, abs=0.001)
    # Exit 1 means a refused request (listed under "errors") or money not conserved.
    assert result.returncode == (1 if figures["errors"] else 0), result.stderr


def test_bench_api_refuses_a_url_that_is_not_postgresql() -> None:
    result = _kinko("bench", "api", "--database-url", "sqlite:///x.sqlite3", timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "needs PostgreSQL" in result.stderr and "Traceback" not in result.stderr


def test_bench_api_refuses_a_server_that_is_down() -> None:
    # Port 9 (discard) on localhost: nothing listens there.
    result = _kinko("bench", "api", "--database-url",
                    "postgresql+psycopg://postgres@127.0.0.1:9/postgres", timeout=60)
    assert result.returncode == 2
    assert "cannot connect to PostgreSQL at 127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.stderr
