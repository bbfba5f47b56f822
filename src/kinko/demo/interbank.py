"""`kinko demo incoming`, `kinko demo other-banks`: the simulated interbank network (XFER-8, 9).

``incoming`` has another bank send a transfer to a Kinko account and then runs the due work,
so the credit (or the return to the sending bank) is visible at once. ``other_banks`` creates
the demo accounts at other banks and lists them, as payees for outgoing transfers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from kinko.clihelpers import DATABASE_URL_OPTION, both, database, fail, say
from kinko.errors import DomainError

if TYPE_CHECKING:
    from kinko.db.engine import Database

DEFAULT_BANK = "0005"     # 三菱ＵＦＪ銀行
DEFAULT_BRANCH = "001"    # 本店


def _error(exc: DomainError) -> str:
    return f"{exc.describe('ja')} / {exc.describe('en')}"


def _split_account(text: str) -> tuple[str, str]:
    branch, sep, number = text.strip().partition("-")
    if not sep or len(branch) != 3 or len(number) != 7 \
            or not (branch + number).isascii() or not (branch + number).isdigit():
        fail(f"--to must be BRANCH-NUMBER, 3 and 7 digits, e.g. 001-1234567 (got {text!r})")
    return branch, number


def _check_schema(db: Database) -> None:
    from sqlalchemy import inspect

    if not inspect(db.engine).has_table("clearing_incoming"):
        fail(f"no clearing tables in {db.url.render_as_string()}: run `kinko db upgrade` first")


def incoming(
    to: str = typer.Option(..., "--to", help=both("入金先 店番-口座番号")),
    amount: str = typer.Option(..., "--amount", help="金額（円）/ amount in yen, e.g. 50000"),
    from_name: str = typer.Option(..., "--from-name",
                                  help="振込依頼人名（カナ）/ remitter's name in kana"),
    from_bank: str = typer.Option(DEFAULT_BANK, "--from-bank",
                                  help=both("仕向銀行コード")),
    from_branch: str = typer.Option(DEFAULT_BRANCH, "--from-branch",
                                    help=both("仕向店番")),
    account_type: str = typer.Option("ordinary", "--type",
                                     help=both("預金種目")),
    edi: str | None = typer.Option(None, "--edi", help=both("EDI情報")),
    reference: str | None = typer.Option(None, "--reference",
                                         help=both("電文番号")),
    run: bool = typer.Option(True, "--run/--no-run",
                             help="run the due work now so the credit shows at once"),
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """他行からの振込入金を発生させる / have another bank send a transfer to a Kinko account."""
    from kinko.clearing import network
    from kinko.clearing import repository as repo
    from kinko.money import parse_yen
    from kinko.zengin.errors import KanaConversionError
    from kinko.zengin.kana import normalize

    branch, number = _split_account(to)
    try:
        yen = parse_yen(amount)
        name = normalize(from_name)
        edi_text = normalize(edi) if edi else None
    except DomainError as exc:
        fail(_error(exc))
    except KanaConversionError as exc:
        fail(f"--from-name / --edi: {exc}")
    db = database(database_url)
    _check_schema(db)
    try:
        ref = db.run(network.send_to_kinko, to_branch=branch, to_account_type=account_type,
                     to_number=number, amount=yen, remitter_name_kana=name,
                     remitter_bank_code=from_bank, remitter_branch_code=from_branch,
                     edi=edi_text, reference=reference)
    except DomainError as exc:
        fail(_error(exc))
    typer.echo(f"{say('送信しました')}: {ref} {yen:,}円 {name} → {branch}-{number}")
    if not run:
        typer.echo(say("`kinko batch run` で入金処理します"))
        return
    from kinko.batch.handlers import load_handlers
    from kinko.batch.service import run_due

    load_handlers()
    run_due(db)
    row = db.run(repo.incoming, ref)
    if row is None:
        typer.echo(say("まだ処理されていません: `kinko batch run` を実行してください"))
        return
    if row.reason_code:
        typer.echo(f"{say('仕向銀行へ返却しました')}: {row.reason}")
    else:
        typer.echo(say("{branch}-{number} に {amount:,}円 入金しました（仕訳 {entry}）",
                       amount=row.amount, branch=branch, number=number, entry=row.entry_id))


def other_banks(database_url: str | None = DATABASE_URL_OPTION) -> None:
    """他行のデモ口座を作成・一覧 / create and list the demo accounts at other banks."""
    from kinko.clearing import network
    from kinko.clearing import repository as repo
    from kinko.clearing.directory import bank_name, branch_name

    db = database(database_url)
    _check_schema(db)
    created = db.run(network.seed_network)
    typer.echo(f"{say('作成')}: {len(created)}")
    for a in db.run(repo.remote_accounts):
        typer.echo(f"{a.bank_code} {bank_name(a.bank_code)} {a.branch_code} "
                   f"{branch_name(a.bank_code, a.branch_code)} {a.account_type.value} "
                   f"{a.number} {a.holder_kana} {a.state.value} {a.balance:,}円")
