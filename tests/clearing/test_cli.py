"""`incoming` (wired as `kinko demo incoming`): inject a transfer from another bank."""

from __future__ import annotations

import pytest
import typer
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from kinko.clearing.models import RemoteAccount
from kinko.db import Database
from kinko.demo.interbank import incoming, other_banks
from kinko.ledger.books import ensure_books
from kinko.ledger.models import Account, AccountType
from kinko.ledger.service import open_account
from kinko.parties.models import Branch

app = typer.Typer()
app.command()(incoming)
app.command("other-banks")(other_banks)
runner = CliRunner()


@pytest.fixture
def account(db: Database) -> int:
    def make(s: Session) -> int:
        ensure_books(s, actor="test")
        s.add(Branch(code="001", name="本店", name_kana="ﾎﾝﾃﾝ"))
        s.flush()
        return open_account(s, branch_code="001", number="1234567",
                            account_type=AccountType.ORDINARY, holder_kana="ﾔﾏﾀﾞ ﾀﾛｳ",
                            customer_id=None, actor="test").id
    return db.run(make)


def _balance(db: Database, account_id: int) -> int:
    return int(db.run(lambda s: s.execute(
        select(Account.balance).where(Account.id == account_id)).scalar_one()))


@pytest.mark.req("XFER-9")
def test_incoming_command_credits_the_account_at_once(db: Database, account: int) -> None:
    url = db.url.render_as_string(hide_password=False)
    result = runner.invoke(app, ["incoming", "--to", "001-1234567", "--amount", "12,000",
                                 "--from-name", "スズキ イチロウ", "--from-bank", "0001",
                                 "--from-branch", "001", "--edi", "INV-7",
                                 "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "001-1234567 に 12,000円 入金しました" in result.output
    assert "credited: 12,000円 to 001-1234567" in result.output
    assert "ｽｽﾞｷ ｲﾁﾛｳ" in result.output                # full-width kana made half-width
    assert _balance(db, account) == 12_000


@pytest.mark.req("XFER-9")
def test_incoming_to_an_unknown_account_is_reported_as_returned(db: Database,
                                                               account: int) -> None:
    url = db.url.render_as_string(hide_password=False)
    result = runner.invoke(app, ["incoming", "--to", "001-7654321", "--amount", "500",
                                 "--from-name", "ﾀﾅｶ", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "返却しました / returned to the remitting bank: 該当口座なし" in result.output
    assert _balance(db, account) == 0


@pytest.mark.parametrize(("args", "message"), [
    (["--to", "0011234567"], "BRANCH-NUMBER"),
    (["--amount", "12.5"], "金額が正しくありません"),
    (["--amount", "-3"], "The amount is not valid"),
    (["--from-name", "田中"], "kanji"),
    (["--from-bank", "0002"], "金融機関コード"),
    (["--from-branch", "998"], "支店がありません"),
    (["--type", "foreign"], "account type"),
])
def test_bad_input_is_one_clear_line_and_exit_2(db: Database, account: int, args: list[str],
                                               message: str) -> None:
    url = db.url.render_as_string(hide_password=False)
    base = {"--to": "001-1234567", "--amount": "1000", "--from-name": "ﾀﾅｶ"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    argv = ["incoming", *[x for kv in base.items() for x in kv],
            "--database-url", url]
    result = runner.invoke(app, argv)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert result.output.startswith("エラー / error: ")
    assert _balance(db, account) == 0


def test_other_banks_seeds_and_lists_the_demo_accounts(db: Database) -> None:
    url = db.url.render_as_string(hide_password=False)
    result = runner.invoke(app, ["other-banks", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "0005 三菱ＵＦＪ 001 本店 ordinary 2222222 ﾀﾅｶ ﾊﾅｺ open" in result.output
    assert db.run(lambda s: len(s.execute(select(RemoteAccount)).all())) == 7
