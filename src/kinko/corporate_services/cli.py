"""``kinko corporate …``: the bank side of the corporate services.

``zengin-statement`` writes one account's 入出金取引明細 (03) or 振込入金通知 (01) for a period,
as the customer would download it (ZEN-2).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from kinko import clock
from kinko.clihelpers import DATABASE_URL_OPTION, both, database, fail, moment
from kinko.corporate_services import debits, statements
from kinko.corporate_services.models import AgreementKind
from kinko.errors import DomainError
from kinko.ledger.repository import find_account

app = typer.Typer(help=both("法人サービス"),
                  no_args_is_help=True)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"not a date: {text!r} (use YYYY-MM-DD)")


@app.command("zengin-statement")
def zengin_statement(
    account: str = typer.Option(..., help="BRANCH-NUMBER, e.g. 001-1234567"),
    date_from: str = typer.Option(..., "--from", help="first day (YYYY-MM-DD)"),
    date_to: str = typer.Option(..., "--to", help="last day (YYYY-MM-DD)"),
    kind: statements.Kind = typer.Option(statements.Kind.STATEMENT,
                                         help="03 入出金取引明細 or 01 振込入金通知"),
    form: statements.Form = typer.Option(statements.Form.ZENGIN, help="zengin or camt"),
    edi: bool = typer.Option(False, help="attach the EDI information"),
    out: Path = typer.Option(..., help="file to write"),
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """Write a Zengin statement of one account (入出金取引明細 / 振込入金通知)."""
    branch, _, number = account.partition("-")
    start, stop = _day(date_from), _day(date_to)
    db = database(database_url)
    try:
        with db.transaction() as s:
            found = find_account(s, branch, number)
            if found is None:
                fail(f"no account {account}")
            file = statements.build(s, [found], kind, start, stop, with_edi=edi)
            download = statements.render(file, kind, form, out.stem)
    except DomainError as exc:
        fail(f"{exc.code}: {exc.message_ja} / {exc.message_en} {exc.detail or ''}")
    out.write_bytes(download.content)
    typer.echo(f"{out}: {len(download.content)} bytes")


@app.command("dd-agreement")
def dd_agreement(
    contract_id: int = typer.Option(..., help="the corporate contract (auth_contracts.id)"),
    kind: AgreementKind = typer.Option(AgreementKind.DIRECT_DEBIT,
                                       help="direct_debit (口座振替) or collection (代金回収)"),
    originator_code: str = typer.Option(..., help="委託者コード, 10 digits"),
    originator_name: str = typer.Option(..., help="委託者名, half-width kana"),
    account: str = typer.Option(..., help="settlement account BRANCH-NUMBER"),
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """Register a company's direct debit or collection agreement (the signed 契約書)."""
    if not (originator_code.isdigit() and len(originator_code) == 10):
        fail("the originator code is 10 digits")
    branch, _, number = account.partition("-")
    with database(database_url).transaction() as s:
        found = find_account(s, branch, number)
        if found is None:
            fail(f"no account {account}")
        agreement = debits.create_agreement(
            s, contract_id=contract_id, kind=kind, originator_code=originator_code,
            originator_name=originator_name, settlement_account_id=found.id,
            actor="system:cli")
        typer.echo(f"agreement {agreement.id}")


@app.command("dd-mandate")
def dd_mandate(
    agreement_id: int = typer.Option(...),
    account: list[str] = typer.Option(..., help="payer account BRANCH-NUMBER (repeatable)"),
    withdraw: bool = typer.Option(False, help="the payers withdrew them (預金者都合)"),
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """Register payers' 預金口座振替依頼書 received by the bank for an agreement (or record
    that they were withdrawn). Companies register theirs on their page or the API."""
    pairs = [tuple(a.split("-", 1)) for a in account]
    if any(len(p) != 2 or not p[1].isdigit() for p in pairs):
        fail("accounts are BRANCH-NUMBER")
    with database(database_url).transaction() as s:
        if withdraw:
            for branch, number in pairs:
                debits.stop_mandate(s, agreement_id, branch, number, actor="system:cli")
            count = len(pairs)
        else:
            count = debits.register_mandates(s, agreement_id, [(p[0], p[1]) for p in pairs],
                                             actor="system:cli")
    typer.echo(f"{count} mandates {'withdrawn' if withdraw else 'registered'}")


@app.command("dd-mandates")
def dd_mandates(
    agreement_id: int = typer.Option(...),
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """List an agreement's 預金口座振替依頼書 (branch-number, state, payer, customer number)."""
    from sqlalchemy import select

    from kinko.corporate_services.models import Mandate

    with database(database_url).transaction() as s:
        rows = s.execute(select(Mandate).where(Mandate.agreement_id == agreement_id)
                         .order_by(Mandate.branch_code, Mandate.account_number)).scalars()
        for m in rows:
            typer.echo(f"{m.branch_code}-{m.account_number}\t{m.state.value}\t"
                       f"{m.payer_name or ''}\t{m.customer_number or ''}")


@app.command("dd-run")
def dd_run(
    at: str | None = typer.Option(None, help="as of this moment (default: now)"),
    chunk: int = typer.Option(debits.CHUNK, min=1, max=100_000,
                              help="records decided per transaction"),
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """Debit every batch whose debit day has come (in chunks, each committed: a run stopped
    half-way is taken up again by the next) and settle those due."""
    moment_ = moment(at)
    if moment_ is not None:
        clock.set_now(moment_)
    done = debits.run_due(database(database_url), chunk=chunk)
    typer.echo(f"debited {done.debited} batches, settled {done.settled}")


@app.command("daily")
def daily(
    at: str | None = typer.Option(None, help="as of this moment (default: now)"),
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """The daily run: debits and settlements, base fees, statements, document retention."""
    from kinko.corporate_services.daily import run

    moment_ = moment(at)
    if moment_ is not None:
        clock.set_now(moment_)
    report = run(database(database_url))
    for step, result in report.steps.items():
        typer.echo(f"{step}: {result}")


@app.command("terminate")
def terminate_command(
    contract_id: int = typer.Option(...),
    reason: str = typer.Option("customer", help="customer (written notice) or bank:<ground>"),
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """End a corporate contract now (002 第18条)."""
    from kinko.corporate_services import contracts

    try:
        with database(database_url).transaction() as s:
            done = contracts.terminate(s, contract_id, reason=reason, actor="system:cli")
    except DomainError as exc:
        fail(f"{exc.code}: {exc.message_en} {exc.detail or ''}")
    typer.echo("terminated" if done else "already terminated")


@app.command("candidates")
def candidates_command(database_url: str | None = DATABASE_URL_OPTION) -> None:
    """List the contracts queued for an operator's termination decision (CTR-2)."""
    from kinko.corporate_services import contracts

    with database(database_url).transaction() as s:
        for c, k, customer in contracts.candidates(s):
            typer.echo(f"{c.id}\tcontract {k.id}\t{customer.name if customer else ''}\t"
                       f"{c.reason.value}\t{c.detail}\t{c.found_on}")
