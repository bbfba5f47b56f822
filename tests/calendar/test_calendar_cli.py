"""`kinko calendar` commands: exact output and exit codes (CAL-1, CAL-2, UI-3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from kinko.cli import app
from kinko.policy import reset_policy_cache

runner = CliRunner()


@pytest.fixture(autouse=True)
def _fresh_policy() -> object:
    reset_policy_cache()
    yield
    reset_policy_cache()


@pytest.mark.req("CAL-1")
@pytest.mark.parametrize(
    ("day", "output", "code"),
    [
        ("2026-09-22", "no\n", 1),   # 国民の休日
        ("2026-09-24", "yes\n", 0),
        ("2025-12-31", "no\n", 1),
        ("2026-01-03", "no\n", 1),
        ("2026-01-05", "yes\n", 0),
        ("2026-05-06", "no\n", 1),   # 振替休日
        ("2026-01-10", "no\n", 1),   # Saturday
    ],
)
def test_is_business_day(day: str, output: str, code: int) -> None:
    result = runner.invoke(app, ["calendar", "is-business-day", day])
    assert (result.stdout, result.exit_code) == (output, code)


@pytest.mark.req("CAL-2")
@pytest.mark.parametrize(
    ("day", "n", "output"),
    [
        ("2026-01-05", "-3", "2025-12-26\n"),
        ("2026-04-30", "3", "2026-05-08\n"),
        ("2025-12-30", "1", "2026-01-05\n"),
        ("2026-01-13", "0", "2026-01-13\n"),
        ("2026-01-12", "0", "2026-01-13\n"),
        ("2026-01-05", "+2", "2026-01-07\n"),
    ],
)
def test_add(day: str, n: str, output: str) -> None:
    result = runner.invoke(app, ["calendar", "add", day, n])
    assert (result.stdout, result.exit_code) == (output, 0)


@pytest.mark.req("CAL-1")
def test_holidays_lists_every_closed_date_of_the_year() -> None:
    result = runner.invoke(app, ["calendar", "holidays", "2026"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 123
    assert lines[:5] == ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04", "2026-01-10"]
    assert lines[-3:] == ["2026-12-26", "2026-12-27", "2026-12-31"]
    assert {"2026-05-06", "2026-09-22", "2026-12-31"} <= set(lines)
    assert lines == sorted(lines)


@pytest.mark.req("CAL-2")
@pytest.mark.parametrize(
    "args",
    [
        ["is-business-day", "2026-02-30"],
        ["is-business-day", "20260105"],
        ["is-business-day", "2026-W02-1"],
        ["is-business-day", "tomorrow"],
        ["is-business-day", "2100-01-04"],
        ["add", "2026-01-05", "x"],
        ["add", "2026-01-05", "1.5"],
        ["add", "2026-13-05", "1"],
        ["add", "2099-12-30", "5"],
        ["holidays", "1900"],
        ["holidays", "2100"],
        ["holidays", "twenty"],
        ["holidays", "-2026"],
    ],
)
def test_bad_input_is_one_line_on_stderr_with_exit_2(args: list[str]) -> None:
    result = runner.invoke(app, ["calendar", *args])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


@pytest.mark.req("CAL-2")
def test_extra_closing_day_from_the_policy_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(
        "[[version]]\neffective_from = 2020-01-01\n"
        "[version.calendar]\nextra_closing_days = [2026-10-05]\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("KINKO_POLICY_FILE", str(policy))
    result = runner.invoke(app, ["calendar", "is-business-day", "2026-10-05"])
    assert (result.stdout, result.exit_code) == ("no\n", 1)
    result = runner.invoke(app, ["calendar", "add", "2026-10-02", "1"])
    assert result.stdout == "2026-10-06\n"
    result = runner.invoke(app, ["calendar", "holidays", "2026"])
    assert "2026-10-05" in result.stdout.splitlines()


def test_invalid_policy_file_is_reported_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CAL-2: the calendar depends on the policy file; a broken one is a clear error."""
    policy = tmp_path / "policy.toml"
    policy.write_text("[[version]]\neffective_from = 2020-01-01\nbogus = 1\n", encoding="utf-8")
    monkeypatch.setenv("KINKO_POLICY_FILE", str(policy))
    result = runner.invoke(app, ["calendar", "is-business-day", "2026-10-05"])
    assert result.exit_code == 3  # not 1, which means "no"
    assert result.stdout == ""
    assert "bogus: unknown key" in result.stderr
    assert result.stderr.count("\n") == 1
