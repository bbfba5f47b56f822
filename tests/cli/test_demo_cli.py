"""`kinko demo --no-serve`, `kinko db upgrade|check` on the URL given."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from kinko.cli import app
from kinko.db import Database
from kinko.ledger.books import BOOKS
from kinko.ledger.models import Account
from kinko.ledger.service import check_books


def test_demo_no_serve_recreates_the_demo_bank(db: Database, database_url: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KINKO_DATABASE_URL", database_url)
    runner = CliRunner()
    for _ in range(2):  # re-running replaces the data instead of duplicating it
        result = runner.invoke(app, ["demo", "--no-serve"])
        assert result.exit_code == 0, (result.output, repr(result.exception))
        assert "demo bank created" in result.output
    with db.transaction() as s:
        # five customer accounts and the bank's books
        assert s.scalar(select(func.count()).select_from(Account)) == 5 + len(BOOKS)
        assert check_books(s).ok
    verify = runner.invoke(app, ["audit", "verify"])
    assert verify.exit_code == 0 and "intact" in verify.output


def test_db_upgrade_and_check(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/fresh.sqlite3"
    runner = CliRunner()
    upgraded = runner.invoke(app, ["db", "upgrade", "--database-url", url])
    assert upgraded.exit_code == 0, upgraded.output
    result = runner.invoke(app, ["db", "check", "--database-url", url])
    assert result.exit_code == 0, (result.output, repr(result.exception))


def test_demo_prints_the_login_url_it_serves(db: Database, database_url: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # ``db``: the demo bank it builds is emptied afterwards, like every test's data.
    monkeypatch.setenv("KINKO_DATABASE_URL", database_url)
    result = CliRunner().invoke(app, ["demo", "--no-serve", "--port", "8001"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8001/login" in result.output and ":8000" not in result.output
