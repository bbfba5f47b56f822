"""Zengin statements (ZEN-2, 002 第5条11): 入出金取引明細 (03) and 振込入金通知 (01) of the
contract's accounts for a period, built from the ledger, in the fixed-length form or as
camt.052 / camt.054, with the EDI information of incoming transfers on request.

The opening balance is the account's balance less everything booked from the first day of
the period on, so the file's closing balance is exactly the ledger's (the trailer's totals are
the postings' sums). Written files pass the Zengin validator before they leave (the writer
reads its own output back).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from kinko import clock
from kinko.clearing.directory import bank_name, branch_name
from kinko.clearing.models import IncomingTransfer
from kinko.config import get_settings
from kinko.corporate_services import access
from kinko.corporate_services.errors import BadPeriod
from kinko.corporate_services.statement_rules import (
    INCOMING_KINDS,
    LedgerLine,
    fit,
    notice_record,
    statement_record,
)
from kinko.instructions.service import Actor
from kinko.ledger.models import Account, AccountType, JournalEntry, Posting
from kinko.parties.models import Branch
from kinko.zengin import records as r
from kinko.zengin.camt import to_camt052, to_camt054
from kinko.zengin.model import Group, ZenginFile
from kinko.zengin.writer import build_file, build_group, write

# How far back a Zengin statement reaches (the online statement's own reach).
MAX_MONTHS = 13


class Kind(enum.StrEnum):
    STATEMENT = "03"    # 入出金取引明細
    INCOMING = "01"     # 振込入金通知


class Form(enum.StrEnum):
    ZENGIN = "zengin"   # fixed-length, Shift_JIS, CRLF
    CAMT = "camt"       # camt.052 (03) / camt.054 (01)


@dataclass(frozen=True)
class Download:
    filename: str
    media_type: str
    content: bytes


def _lines(session: Session, account_id: int, date_from: date, date_to: date,
           *, credits_of: frozenset[str] | None = None) -> list[LedgerLine]:
    incoming = IncomingTransfer
    stmt = (
        select(Posting.id, JournalEntry.kind, JournalEntry.value_date, Posting.amount,
               Posting.description, incoming.remitter_kana, incoming.remitter_bank_code,
               incoming.remitter_branch_code, incoming.edi)
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .outerjoin(incoming, and_(incoming.entry_id == Posting.entry_id,
                                  incoming.account_id == Posting.account_id))
        .where(Posting.account_id == account_id, JournalEntry.value_date >= date_from,
               JournalEntry.value_date <= date_to)
        .order_by(Posting.entry_id)
    )
    if credits_of is not None:
        stmt = stmt.where(Posting.amount > 0, JournalEntry.kind.in_(credits_of))
    own = get_settings()
    out = []
    for row in session.execute(stmt):
        if row.remitter_bank_code:
            sending_bank = bank_name(row.remitter_bank_code) or ""
            sending_branch = branch_name(row.remitter_bank_code, row.remitter_branch_code) or ""
        else:
            sending_bank, sending_branch = (own.bank_name_kana, "") if row.amount > 0 else ("", "")
        out.append(LedgerLine(row.id, row.kind, row.value_date, row.amount,
                              row.description or "", row.remitter_kana or "", sending_bank,
                              sending_branch, row.edi or ""))
    return out


def _booked_since(session: Session, account_id: int, day: date) -> int:
    return int(session.execute(
        select(func.coalesce(func.sum(Posting.amount), 0))
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(Posting.account_id == account_id, JournalEntry.value_date >= day)
    ).scalar_one())


def _account_fields(session: Session, account: Account, number_length: int) -> dict[str, str]:
    branch = session.get(Branch, account.branch_code)
    settings = get_settings()
    return {
        "bank_code": settings.bank_code, "bank_name": fit(settings.bank_name_kana, 15),
        "branch_code": account.branch_code,
        "branch_name": fit(branch.name_kana, 15) if branch is not None else "",
        "account_type": "2" if account.type is AccountType.CHECKING else "1",
        "account_number": account.number.zfill(number_length),
        "account_name": fit(account.holder_kana, 40) or "ﾌﾒｲ",
    }


def check_period(date_from: date, date_to: date) -> None:
    today = clock.today()
    if date_from > date_to:
        raise BadPeriod(detail="date_from is after date_to")
    if date_to > today:
        raise BadPeriod(detail="the period ends in the future")
    if date_from < today - timedelta(days=MAX_MONTHS * 31):
        raise BadPeriod(detail=f"statements reach back {MAX_MONTHS} months")


def statement_group(session: Session, account: Account, date_from: date, date_to: date,
                    *, with_edi: bool = False) -> Group:
    """One account's 入出金取引明細 for the period."""
    lines = _lines(session, account.id, date_from, date_to)
    opening = account.balance - _booked_since(session, account.id, date_from)
    header = r.StatementHeader(
        created=clock.today(), period_from=date_from, period_to=date_to,
        opening_sign="2" if opening < 0 else "1", opening_balance=abs(opening),
        **_account_fields(session, account, 10))
    return build_group(header, [statement_record(ln, with_edi=with_edi) for ln in lines])


def incoming_group(session: Session, account: Account, date_from: date, date_to: date,
                   *, with_edi: bool = False) -> Group:
    """One account's 振込入金通知 for the period: the transfers credited to it."""
    lines = _lines(session, account.id, date_from, date_to, credits_of=INCOMING_KINDS)
    header = r.NoticeHeader(created=clock.today(), period_from=date_from, period_to=date_to,
                            **_account_fields(session, account, 7))
    return build_group(header, [notice_record(ln, with_edi=with_edi) for ln in lines])


def build(session: Session, accounts: list[Account], kind: Kind, date_from: date,
          date_to: date, *, with_edi: bool = False) -> ZenginFile:
    check_period(date_from, date_to)
    make = statement_group if kind is Kind.STATEMENT else incoming_group
    return build_file([make(session, a, date_from, date_to, with_edi=with_edi)
                       for a in accounts])


def render(file: ZenginFile, kind: Kind, form: Form, stem: str) -> Download:
    if form is Form.CAMT:
        xml = to_camt052(file) if kind is Kind.STATEMENT else to_camt054(file)
        return Download(f"{stem}.xml", "application/xml", xml)
    return Download(f"{stem}.txt", "text/plain; charset=shift_jis", write(file))


def download(session: Session, actor: Actor, *, kind: Kind, form: Form,
             date_from: date, date_to: date, account_id: int | None = None,
             with_edi: bool = False) -> Download:
    """The caller's file: one account, or every account of the contract."""
    contract = access.contract_of(session, actor)
    access.require_service(session, contract, access.Service.ZENGIN_STATEMENTS)
    accounts = ([access.usage_account(session, contract, account_id)]
                if account_id is not None else access.usage_accounts(session, contract))
    if not accounts:
        raise BadPeriod(detail="the contract has no account")
    file = build(session, accounts, kind, date_from, date_to, with_edi=with_edi)
    stem = f"zengin{kind.value}_{date_from:%Y%m%d}_{date_to:%Y%m%d}"
    return render(file, kind, form, stem)
