"""`kinko bench zengin` (ZEN-1): parse+validate rate beside the raw struct.iter_unpack rate."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from kinko.cli import app

pytestmark = pytest.mark.req("ZEN-1")


def test_bench_prints_figures_and_one_json_object_last() -> None:
    result = CliRunner().invoke(app, ["bench", "zengin", "--records", "3000", "--json"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert any(line.startswith("parse + validate") for line in lines)
    figures = json.loads(lines[-1])
    assert figures["records"] == 3000 and figures["file_records"] == 3003
    for key in ("records_per_s", "raw_records_per_s", "ratio", "decoded_records_per_s"):
        assert figures[key] > 0
    assert figures["ratio"] == pytest.approx(
        figures["records_per_s"] / figures["raw_records_per_s"])
