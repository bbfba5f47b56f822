"""Checks of a Zengin file beyond its format (ZEN-1): the bank and branch codes it names
against the national code list (zengin-code), and its dates against the bank calendar.

An unknown code is an error in a request file the customer sends (a payee that cannot be
paid) and only a warning when reading a bank's own output (the list may lag the bank's
branches). A transfer or debit date on a closed day is an error that names the next business
day. Record numbers count every record of the file from 1, as the format errors do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kinko.calendar.rules import BankCalendar
from kinko.catalogue import reason
from kinko.clearing import directory
from kinko.zengin.fields import name
from kinko.zengin.layouts import LAYOUT_OF_RECORD
from kinko.zengin.model import ZenginFile

DATE_FIELDS = ("value_date", "debit_date")  # named as the header's layout names them


@dataclass(frozen=True)
class FileFinding:
    record: int
    field_ja: str
    field_en: str
    reason_ja: str
    reason_en: str
    severity: str           # "error" | "warning"
    suggestion: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {"record": self.record, "field_ja": self.field_ja, "field_en": self.field_en,
                "reason_ja": self.reason_ja, "reason_en": self.reason_en,
                "severity": self.severity, "suggestion": self.suggestion}


def _code_problem(bank_code: str, branch_code: str, known: dict[tuple[str, str], str | None],
                  own: tuple[str, frozenset[str]] | None) -> str | None:
    key = (bank_code, branch_code)
    if key not in known:
        if own is not None and bank_code == own[0]:
            # This bank: its own branch list is the truth, whatever the national list says.
            known[key] = None if branch_code in own[1] else "branch"
        elif directory.bank_name(bank_code) is None:
            known[key] = "bank"
        elif directory.branch_name(bank_code, branch_code) is None:
            known[key] = "branch"
        else:
            known[key] = None
    return known[key]


def check_codes(file: ZenginFile, *, request: bool,
                own: tuple[str, frozenset[str]] | None = None) -> list[FileFinding]:
    """Every data record's bank and branch code against zengin-code; ``own`` is this bank's
    code and branch codes, checked against the bank's own branch list instead."""
    severity = "error" if request else "warning"
    found: list[FileFinding] = []
    known: dict[tuple[str, str], str | None] = {}
    number = 0
    for group in file.groups:
        number += 1  # header
        for record in group.records:
            number += 1
            bank = getattr(record, "bank_code", None)
            branch = getattr(record, "branch_code", None)
            if not bank or not branch:
                continue
            problem = _code_problem(bank, branch, known, own)
            if problem == "bank":
                found.append(FileFinding(number, *name("銀行番号"),
                                         *reason("全銀協の金融機関コードにありません: {bank}",
                                                 bank=bank), severity))
            elif problem == "branch":
                found.append(FileFinding(number, *name("支店番号"),
                                         *reason("{bank} の支店コードにありません: {branch}",
                                                 bank=bank, branch=branch), severity))
        number += 1  # trailer
    return found


def check_dates(file: ZenginFile, calendar: BankCalendar) -> list[FileFinding]:
    """Each group's transfer or debit date must be a business day of the bank."""
    found: list[FileFinding] = []
    number = 1
    for group in file.groups:
        for attr in DATE_FIELDS:
            day = getattr(group.header, attr, None)
            if isinstance(day, date) and not calendar.is_business_day(day):
                suggested = calendar.next_business_day(day)
                field = LAYOUT_OF_RECORD[type(group.header)].field(attr)
                found.append(FileFinding(
                    number, field.ja, field.en,
                    *reason("{day} は当行の休業日です。翌営業日 {next} を指定してください。",
                            day=day.isoformat(), next=suggested.isoformat()),
                    "error", suggested.isoformat()))
        number += len(group.records) + 2
    return found
