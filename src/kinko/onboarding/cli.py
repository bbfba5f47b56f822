"""`kinko customers …`: register customers, list and show them, open accounts (PRD-1).

Every command runs one transaction; bad input prints the problem and exits 2 with nothing
changed. ``--json`` prints what a script can read.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import typer
from sqlalchemy.orm import Session

from kinko.clihelpers import DATABASE_URL_OPTION, both, database, fail

app = typer.Typer(help=both("お客さま"),
                  no_args_is_help=True)

ACTOR = "system:cli"


def _run(url: str | None, use_case: Any) -> Any:
    from kinko.errors import DomainError

    try:
        return database(url).run(use_case)
    except DomainError as exc:
        fail(f"{exc.code}: {exc.describe()}")


def _birth(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail("CUSTOMER_INPUT_INVALID: --birth-date is YYYY-MM-DD")


@app.command()
def register(
    name: str = typer.Option(..., "--name", help="氏名（漢字）・名称"),
    kana: str = typer.Option(..., "--kana", help="フリガナ (full- or half-width)"),
    kind: str = typer.Option("individual", "--kind", help="individual or corporate"),
    branch: str = typer.Option(..., "--branch", help="お取引店 3 digits"),
    postal_code: str = typer.Option(..., "--postal-code", help="123-4567"),
    address: str = typer.Option(..., "--address"),
    phone: str = typer.Option(..., "--phone"),
    birth_date: str | None = typer.Option(None, "--birth-date", help="YYYY-MM-DD (individuals)"),
    non_resident: bool = typer.Option(False, "--non-resident", help="非居住者"),
    email: str | None = typer.Option(None, "--email"),
    as_json: bool = typer.Option(False, "--json"),
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """Register an individual or corporate customer."""
    from kinko.onboarding.customers import register_customer

    born = _birth(birth_date)

    def run(s: Session) -> dict[str, Any]:
        c = register_customer(s, kind=kind, name=name, name_kana=kana, branch_code=branch,
                              postal_code=postal_code, address=address, phone=phone,
                              birth_date=born, resident=not non_resident, email=email,
                              actor=ACTOR)
        return {"id": c.id, "number": c.number, "name_kana": c.name_kana}

    out = _run(database_url, run)
    typer.echo(json.dumps(out, ensure_ascii=False) if as_json
               else f"{out['number']} (id {out['id']}) {out['name_kana']}")


@app.command("list")
def list_customers(
    search: str = typer.Option("", "--search", help="number, name or kana"),
    limit: int = typer.Option(50, "--limit", min=1, max=1000),
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """List customers, newest first."""
    from kinko.onboarding.customers import find_customers

    rows = _run(database_url, lambda s: [
        (c.id, c.number, c.kind.value, c.name, c.name_kana, c.branch_code)
        for c in find_customers(s, text=search[:60], limit=limit)])
    for row in rows:
        typer.echo("\t".join(str(v) for v in row))


@app.command()
def show(
    customer_id: int = typer.Argument(..., min=1),
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """A customer with their accounts, contracts and users (JSON)."""
    from kinko.onboarding.customers import customer_view

    def run(s: Session) -> dict[str, Any]:
        v = customer_view(s, customer_id)
        c = v.customer
        return {"id": c.id, "number": c.number, "kind": c.kind.value, "name": c.name,
                "name_kana": c.name_kana, "branch_code": c.branch_code,
                "postal_code": c.postal_code, "address": c.address, "phone": c.phone,
                "birth_date": c.birth_date.isoformat() if c.birth_date else None,
                "resident": c.resident,
                "accounts": [{"id": a.id, "account": f"{a.branch_code}-{a.number}",
                              "type": a.type.value, "state": a.state.value,
                              "balance": a.balance} for a in v.accounts],
                "contracts": [{"id": k.id, "product": k.product.value, "state": k.state.value}
                              for k in v.contracts],
                "users": [{"id": u.id, "login_id": u.login_id, "state": u.state.value}
                          for u in v.users]}

    typer.echo(json.dumps(_run(database_url, run), ensure_ascii=False, indent=2))


@app.command("open-account")
def open_account(
    customer_id: int = typer.Argument(..., min=1),
    account_type: str = typer.Option("ordinary", "--type", help="ordinary, checking or time"),
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """Open an account in the customer's name with the branch's next number."""
    from kinko.onboarding.customers import open_customer_account

    def run(s: Session) -> str:
        a = open_customer_account(s, customer_id=customer_id, account_type=account_type,
                                  actor=ACTOR)
        return f"{a.branch_code}-{a.number} (id {a.id}, {a.type.value})"

    typer.echo(_run(database_url, run))
