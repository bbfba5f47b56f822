"""`kinko bench scale`: the figures' keys and sane values on a small history, on SQLite and
(when configured) PostgreSQL, and the scratch database is gone afterwards. No timing is
asserted: the figures move with the machine; docs/performance.md has the measured ones."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from kinko.bench.scale import TIMINGS
from kinko.cli import app
from tests.conftest import PG_ADMIN_URL


def _servers() -> list[str]:
    return ["sqlite", "postgresql"] if PG_ADMIN_URL.startswith("postgresql") else ["sqlite"]


def _scratch_databases() -> set[str]:
    admin = create_engine(PG_ADMIN_URL)
    try:
        with admin.connect() as conn:
            return set(conn.execute(text(
                "SELECT datname FROM pg_database WHERE datname LIKE 'kinko_scale_%'")).scalars())
    finally:
        admin.dispose()


@pytest.mark.parametrize("server", _servers())
def test_bench_scale_reports_every_figure(server: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'given.sqlite3'}" if server == "sqlite" else PG_ADMIN_URL
    before = _scratch_databases() if server == "postgresql" else set()
    result = CliRunner().invoke(app, ["bench", "scale", "--database-url", url,
                                      "--postings", "20000", "--repetitions", "3", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output.strip().splitlines()[-1])
    for name in TIMINGS:
        small, large = figures[f"{name}_ms_small"], figures[f"{name}_ms_large"]
        assert 0 < small < 60_000 and 0 < large < 60_000
        assert math.isclose(figures[f"{name}_growth"], large / small, rel_tol=0.05, abs_tol=0.01)
    assert figures["postings_small"] == 10_000 and figures["postings_large"] == 20_000
    # One audit event per generated entry (10,000 postings = 5,000 entries) plus set-up events.
    assert figures["seal_events"] == 5_000
    assert figures["verify_events"] > 10_000
    assert figures["seal_events_per_s"] > 0 and figures["verify_events_per_s"] > 0
    assert figures["busy_statement_lines_in_period"] > 50   # page 1 is a full page
    if server == "sqlite":
        assert list(tmp_path.iterdir()) == []   # the scratch file is removed, nothing created
    else:
        assert _scratch_databases() == before


def test_bench_scale_refuses_a_bad_url() -> None:
    result = CliRunner().invoke(app, ["bench", "scale", "--database-url", "nonsense://x",
                                      "--postings", "20000"])
    assert result.exit_code == 2
