"""PRD-1, PRD-5: customers are registered with kanji and kana names, address, phone, birth date
and residency; accounts open with the branch's next 7-digit number. Bad input changes nothing,
through the service and through `kinko customers`."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from kinko.audit.models import AuditEvent
from kinko.cli import app as cli
from kinko.db import Database
from kinko.ledger.models import Account, AccountType
from kinko.onboarding import customers
from kinko.onboarding.errors import CustomerInputInvalid
from kinko.parties import residency
from kinko.parties.errors import CustomerNotFound
from kinko.parties.models import Customer, CustomerKind
from tests.onboarding.conftest import Bank

GOOD: dict[str, Any] = {
    "kind": "individual", "name": "佐藤　花子", "name_kana": "サトウ　ハナコ",
    "branch_code": "001", "postal_code": "１００－０００１", "address": "東京都千代田区千代田1-1",
    "phone": "03-1234-5678", "birth_date": date(1985, 4, 2), "resident": True,
    "email": "hanako@example.jp"}


def _count(db: Database) -> int:
    return db.run(lambda s: s.execute(select(func.count()).select_from(Customer)).scalar_one())


@pytest.mark.req("PRD-1")
def test_an_individual_is_registered_with_normalised_names_and_address(
        db: Database, bank: Bank) -> None:
    def run(s: Session) -> tuple[Any, ...]:
        c = customers.register_customer(s, actor="operator:1", **GOOD)
        return c.id, c.number, c.kind, c.name, c.name_kana, c.postal_code, c.address, c.resident

    cid, number, kind, name, kana, postal, address, resident = db.run(run)
    assert kind is CustomerKind.INDIVIDUAL and resident
    assert name == "佐藤 花子" and kana == "ｻﾄｳ ﾊﾅｺ"            # full-width → Zengin half-width
    assert postal == "100-0001" and address.startswith("東京都")
    assert number == f"C{cid:09d}"
    events = db.run(lambda s: s.execute(select(AuditEvent.action).where(
        AuditEvent.subject_id == str(cid))).scalars().all())
    assert "customer.registered" in events


@pytest.mark.req("PRD-1")
@pytest.mark.req("PRD-5")
def test_a_corporate_non_resident_starts_its_residency_history(db: Database, bank: Bank) -> None:
    def run(s: Session) -> int:
        return customers.register_customer(
            s, actor="operator:1", **(GOOD | {"kind": "corporate", "name": "株式会社 金庫商事",
                                              "name_kana": "ｶ)ｷﾝｺｼﾖｳｼﾞ", "birth_date": None,
                                              "resident": False})).id

    cid = db.run(run)
    assert db.run(lambda s: residency.resident_on(s, cid, date(2026, 11, 20))) is False
    assert db.run(lambda s: len(residency.history(s, cid))) == 1


@pytest.mark.req("PRD-1")
@pytest.mark.parametrize(("field", "value"), [
    ("kind", "alien"), ("name", ""), ("name_kana", "山田"), ("branch_code", "1"),
    ("postal_code", "1000"), ("address", "x"), ("phone", "abc"),
    ("birth_date", date(2030, 1, 1)), ("birth_date", None), ("email", "not-an-address"),
])
def test_bad_customer_details_are_refused_and_nothing_is_written(
        db: Database, bank: Bank, field: str, value: Any) -> None:
    with pytest.raises(CustomerInputInvalid) as refused:
        db.run(lambda s: customers.register_customer(s, actor="t", **(GOOD | {field: value})))
    assert field in refused.value.extra["fields"]
    assert _count(db) == 0


@pytest.mark.req("PRD-1")
def test_an_unknown_branch_is_refused(db: Database, bank: Bank) -> None:
    with pytest.raises(CustomerInputInvalid):
        db.run(lambda s: customers.register_customer(s, actor="t",
                                                     **(GOOD | {"branch_code": "002"})))
    assert _count(db) == 0


@pytest.mark.req("PRD-1")
def test_accounts_open_in_the_customers_name_with_the_next_number(db: Database,
                                                                  bank: Bank) -> None:
    cid = db.run(lambda s: customers.register_customer(s, actor="t", **GOOD).id)
    first = db.run(lambda s: customers.open_customer_account(
        s, customer_id=cid, account_type="ordinary", actor="t").number)
    second = db.run(lambda s: customers.open_customer_account(
        s, customer_id=cid, account_type="checking", actor="t").number)
    assert (first, second) == ("0000001", "0000002")
    rows = db.run(lambda s: s.execute(select(Account.holder_kana, Account.type).where(
        Account.customer_id == cid).order_by(Account.id)).all())
    assert [(r[0], r[1]) for r in rows] == [("ｻﾄｳ ﾊﾅｺ", AccountType.ORDINARY),
                                            ("ｻﾄｳ ﾊﾅｺ", AccountType.CHECKING)]
    with pytest.raises(CustomerInputInvalid):
        db.run(lambda s: customers.open_customer_account(s, customer_id=cid,
                                                         account_type="internal", actor="t"))
    with pytest.raises(CustomerNotFound):
        db.run(lambda s: customers.open_customer_account(s, customer_id=cid + 99,
                                                         account_type="ordinary", actor="t"))
    assert db.run(lambda s: s.execute(select(func.count()).select_from(Account).where(
        Account.customer_id == cid)).scalar_one()) == 2


@pytest.mark.req("PRD-1")
def test_kinko_customers_register_list_show_open_account(db: Database, bank: Bank) -> None:
    url = db.engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    made = runner.invoke(cli, ["customers", "register", "--name", "山田 太郎", "--kana",
                               "ヤマダ タロウ", "--branch", "001", "--postal-code", "100-0001",
                               "--address", "東京都千代田区1-1", "--phone", "03-1111-2222",
                               "--birth-date", "1970-01-31", "--json", "--database-url", url])
    assert made.exit_code == 0, made.output
    cid = json.loads(made.output)["id"]
    opened = runner.invoke(cli, ["customers", "open-account", str(cid), "--type", "ordinary",
                                 "--database-url", url])
    assert opened.exit_code == 0 and "001-0000001" in opened.output
    listed = runner.invoke(cli, ["customers", "list", "--search", "ﾔﾏﾀﾞ", "--database-url", url])
    assert listed.exit_code == 0 and "山田 太郎" in listed.output
    shown = runner.invoke(cli, ["customers", "show", str(cid), "--database-url", url])
    assert shown.exit_code == 0
    assert json.loads(shown.output)["accounts"][0]["account"] == "001-0000001"


@pytest.mark.req("PRD-1")
@pytest.mark.parametrize("args", [
    ["register", "--name", "x", "--kana", "ｴｯｸｽ", "--branch", "001", "--postal-code", "1",
     "--address", "東京都千代田区", "--phone", "03-1111-2222", "--birth-date", "1970-01-01"],
    ["register", "--name", "x", "--kana", "ｴｯｸｽ", "--branch", "001", "--postal-code",
     "100-0001", "--address", "東京都千代田区", "--phone", "03-1111-2222", "--birth-date",
     "1970-13-01"],
    ["open-account", "999999", "--type", "ordinary"],
    ["show", "999999"],
])
def test_kinko_customers_refuses_bad_input_with_exit_2(db: Database, bank: Bank,
                                                       args: list[str]) -> None:
    url = db.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(cli, ["customers", *args, "--database-url", url])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert _count(db) == 0
