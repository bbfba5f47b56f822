"""`kinko policy show` and `kinko policy validate` (POL-1, UI-3)."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kinko import clock
from kinko.cli import app
from kinko.clock import JST
from kinko.policy import Policy, PolicyBook, reset_policy_cache

runner = CliRunner()

FILE = """
[[version]]
effective_from = 2026-04-01T00:00:00+09:00
note = "fee revision"
transfers.recall_fee = 1_100
calendar.extra_closing_days = [2026-10-05]
"""


@pytest.fixture(autouse=True)
def _fresh_policy() -> Iterator[None]:
    reset_policy_cache()
    yield
    reset_policy_cache()


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(FILE, encoding="utf-8")
    monkeypatch.setenv("KINKO_POLICY_FILE", str(path))
    return path


@pytest.mark.req("POL-1")
def test_show_defaults_now() -> None:
    clock.set_now(datetime(2026, 1, 13, 10, 0, tzinfo=JST))
    result = runner.invoke(app, ["policy", "show"])
    assert result.exit_code == 0
    assert result.stdout.startswith("# policy in force at 2026-01-13T10:00:00+09:00\n[[version]]\n")
    assert "effective_from = 0001-01-01T00:00:00+00:00\n" in result.stdout
    assert "recall_fee = 880\n" in result.stdout
    assert "retail_daily_limit = 1_000_000\n" in result.stdout
    assert "same_day_cutoff = 15:00:00\n" in result.stdout
    assert 'lockout_minutes_by_product = { retail-001 = "until-released" }' in result.stdout
    assert "withholding_tax_rate_per_100k = 20_315  # 20.315 %\n" in result.stdout


@pytest.mark.req("POL-1")
def test_show_output_is_a_policy_file_that_loads_back_to_the_same_policy(configured: Path) -> None:
    result = runner.invoke(app, ["policy", "show", "--at", "2026-04-01"])
    assert result.exit_code == 0
    data = tomllib.loads(result.stdout)
    shown = PolicyBook.from_data(data)
    expected = PolicyBook.from_file(configured).policy_at(datetime(2026, 4, 1, tzinfo=JST))
    assert shown.versions[-1].policy == expected
    assert shown.versions[-1].note == "fee revision"


@pytest.mark.req("POL-1")
@pytest.mark.parametrize(
    ("at", "effective", "recall_fee"),
    [
        ("2026-03-31T23:59:59", "0001-01-01T00:00:00+00:00", "880"),
        ("2026-04-01", "2026-04-01T00:00:00+09:00", "1_100"),
        ("2026-03-31T15:00:00+00:00", "2026-04-01T00:00:00+09:00", "1_100"),
        ("2027-01-01T09:00", "2026-04-01T00:00:00+09:00", "1_100"),
    ],
)
def test_show_at(configured: Path, at: str, effective: str, recall_fee: str) -> None:
    result = runner.invoke(app, ["policy", "show", "--at", at])
    assert result.exit_code == 0, result.stderr
    assert f"effective_from = {effective}\n" in result.stdout
    assert f"recall_fee = {recall_fee}\n" in result.stdout


@pytest.mark.req("POL-1")
def test_show_json(configured: Path) -> None:
    result = runner.invoke(app, ["policy", "show", "--json", "--at", "2026-05-01T12:00:00+09:00"])
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["in_force_at"] == "2026-05-01T12:00:00+09:00"
    assert document["effective_from"] == "2026-04-01T00:00:00+09:00"
    assert document["policy"]["transfers"]["recall_fee"] == 1100
    assert document["policy"]["calendar"]["extra_closing_days"] == ["2026-10-05"]
    assert document["policy"]["auth"]["lockout_minutes_by_product"] == {
        "retail-001": "until-released"
    }
    assert Policy.model_validate(document["policy"]).transfers.recall_fee == 1_100


@pytest.mark.req("POL-1")
@pytest.mark.parametrize("at", ["yesterday", "2026-13-01", "2026-04-01T25:00", ""])
def test_show_bad_at_is_exit_2(at: str) -> None:
    result = runner.invoke(app, ["policy", "show", "--at", at])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: --at ")
    assert result.stderr.count("\n") == 1


def test_show_with_a_broken_policy_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """POL-1"""
    path = tmp_path / "policy.toml"
    path.write_text("[[version]]\neffective_from = 2026-04-01\nbogus = 1\n", encoding="utf-8")
    monkeypatch.setenv("KINKO_POLICY_FILE", str(path))
    result = runner.invoke(app, ["policy", "show"])
    assert result.exit_code == 1
    assert "bogus: unknown key" in result.stderr


@pytest.mark.req("POL-1")
def test_validate_a_good_file(configured: Path) -> None:
    result = runner.invoke(app, ["policy", "validate", str(configured)])
    assert result.exit_code == 0
    assert result.stdout == (
        f"{configured}: valid\n"
        "  from beginning  built-in defaults (SPEC §13)\n"
        "  from 2026-04-01T00:00:00+09:00  fee revision\n"
    )


@pytest.mark.req("POL-1")
def test_validate_a_bad_file_lists_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        "[[version]]\neffective_from = 2026-04-01\n"
        "[version.transfers]\nretail_daily_limit = -1\nsameday_cutoff = 14:00:00\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["policy", "validate", str(path)])
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == f"{path}: not valid"
    assert any("transfers.retail_daily_limit: must be a whole yen amount" in ln for ln in lines)
    assert any("transfers.sameday_cutoff: unknown key" in ln for ln in lines)
    assert "Traceback" not in result.stderr


def test_validate_a_missing_file(tmp_path: Path) -> None:
    """POL-1"""
    result = runner.invoke(app, ["policy", "validate", str(tmp_path / "absent.toml")])
    assert result.exit_code == 1
    assert "cannot read the file" in result.stderr
