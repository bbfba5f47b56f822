"""Helpers for bulk and payroll tests: Zengin files with this bank's and other banks'
payees, step-up proofs, and running the batch on a given moment."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from kinko import clock
from kinko.batch.service import run_due
from kinko.bulk import service as bulk
from kinko.bulk.models import BulkRequest
from kinko.clearing.network import open_remote_account
from kinko.db import Database
from kinko.instructions.service import Actor, StepUpProof
from kinko.ledger.models import Account
from kinko.zengin import Options
from kinko.zengin import records as r
from kinko.zengin.writer import build_file, build_group, write
from tests import factories

FRIDAY = datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST)
VALUE_DATE = date(2026, 11, 24)          # Tuesday; Monday the 23rd is 勤労感謝の日
RUN_AT = datetime(2026, 11, 24, 9, 0, tzinfo=clock.JST)
OWN = "0999"


def own_payees(session: Session, n: int, *, start: int = 0) -> list[tuple[str, str, str, int]]:
    """``n`` accounts at this bank: (branch, number, holder, account id)."""
    out = []
    for i in range(n):
        holder = f"ﾄﾘﾋｷｻｷ {start + i}"
        account_id = factories.account(session, holder=holder)
        acc = session.get(Account, account_id)
        assert acc is not None
        out.append((acc.branch_code, acc.number, holder, account_id))
    return out


def remote_payee(session: Session, number: str, holder: str = "ﾀﾀﾞﾉ ﾀﾛｳ") -> None:
    open_remote_account(session, bank_code="0001", branch_code="001", account_type="ordinary",
                        number=number, holder_kana=holder)


def transfer_file(lines: list[tuple[str, str, str, str, int]], *, value_date: date = VALUE_DATE,
                  type_code: str = "21") -> bytes:
    """A 21 (or 11/12) file; lines are (bank, branch, number, name, amount)."""
    if type_code == "21":
        header: r.Record = r.TransferHeader(
            originator_code="1234567890", originator_name="ｶ)ｷﾝｺｼﾖｳｼﾞ", value_date=value_date,
            bank_code=OWN, branch_code="001", account_type="1", account_number="1234567")
        data: list[r.Record] = [r.TransferData(
            bank_code=b, branch_code=br, account_type="1", account_number=n, payee_name=name,
            amount=amount, customer_code1="", customer_code2="")
            for b, br, n, name, amount in lines]
    else:
        header = r.PayrollHeader(
            type_code=type_code, company_code="1234567890", company_name="ｶ)ｷﾝｺｼﾖｳｼﾞ",
            value_date=value_date, bank_code=OWN, branch_code="001", account_type="1",
            account_number="1234567")
        data = [r.PayrollData(bank_code=b, branch_code=br, account_type="1", account_number=n,
                              payee_name=name, amount=amount) for b, br, n, name, amount in lines]
    return write(build_file([build_group(header, data)]), Options(reference_date=value_date))


def approve(db: Database, actor: Actor, request_id: int) -> BulkRequest:
    """An approval from the PC: a step-up proof over the request's current digest."""
    def run(s: Session) -> BulkRequest:
        req = s.get(BulkRequest, request_id)
        assert req is not None
        return bulk.approve(s, actor, request_id, digest=req.digest,
                            step_up=StepUpProof(actor.user_id, req.digest, clock.now()))
    return db.run(run)


def run_batch(db: Database, at: datetime) -> None:
    clock.set_now(at)
    run_due(db, at=at)


def balance(db: Database, account_id: int) -> int:
    def get(s: Session) -> int:
        acc = s.get(Account, account_id)
        assert acc is not None
        return acc.balance
    return db.run(get)
