"""`kinko ledger check` (LED-2): exit 0 with a summary when the books hold; exit 1 naming the
first account whose stored balance its postings do not give."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from kinko.cli import app
from kinko.db import Database
from kinko.ledger.models import Account
from kinko.ledger.service import transfer
from tests import factories

runner = CliRunner()


def _check(db: Database) -> tuple[int, str]:
    url = db.url.render_as_string(hide_password=False)
    result = runner.invoke(app, ["ledger", "check", "--database-url", url])
    return result.exit_code, result.output


@pytest.mark.req("LED-2")
def test_ledger_check_passes_then_names_a_corrupted_balance(db: Database) -> None:
    with db.transaction() as s:
        a = factories.account(s, balance=10_000)
        b = factories.account(s)
    db.run(lambda s: transfer(s, debit_account_id=a, credit_account_id=b, amount=3_000,
                              actor="customer:1"))
    code, output = _check(db)
    assert code == 0, output
    assert "OK" in output and "match their postings" in output

    # A balance changed behind the ledger's back (a bad restore, a manual UPDATE).
    with db.transaction() as s:
        s.execute(update(Account).where(Account.id == b).values(balance=3_100))
    code, output = _check(db)
    assert code == 1
    assert f"account {b}" in output and "stored balance 3,100" in output
    assert "postings give 3,000" in output
