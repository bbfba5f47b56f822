"""Pure rules of bulk and payroll requests: payee lines, what an approver signs, who may
approve which step, cutoffs and funding days (BULK-1, PAYR-1, APR-1). No I/O, no clock."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import NamedTuple

from kinko.calendar.rules import BankCalendar
from kinko.catalogue import reason
from kinko.zengin.charset import NAME

MAX_PAYEES = 100_000
MAX_AMOUNT = 9_999_999_999          # N(10) of the Zengin amount field
ACCOUNT_TYPES = {"1": "普通", "2": "当座", "4": "貯蓄", "9": "その他"}
PAYROLL_ACCOUNT_TYPES = ("1", "2")


class Payee(NamedTuple):
    """One payee line. A named tuple, not a dataclass: a 100,000-payee upload builds one per
    line, and a tuple is several times cheaper to make."""

    bank_code: str
    branch_code: str
    account_type: str
    account_number: str
    payee_kana: str
    amount: int
    edi: str | None = None
    customer_code: str | None = None


@dataclass(frozen=True)
class LineProblem:
    """A refusal that names the line (1 = the first payee, or the file's record number),
    the field and the reason, in Japanese and English."""

    line: int
    field: str
    reason_ja: str
    reason_en: str

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "field": self.field, "reason_ja": self.reason_ja,
                "reason_en": self.reason_en}


def _digits(text: str, n: int) -> bool:
    """``n`` ASCII digits (``str.isdigit`` alone also takes full-width ones: ０１２)."""
    return len(text) == n and text.isascii() and text.isdigit()


def check_payee(line: int, p: Payee, *, payroll: bool) -> list[LineProblem]:
    """One payee's fields: codes of the right digits, a kana name of the name class (注1),
    an amount of 1 … 9,999,999,999 yen."""
    out: list[LineProblem] = []

    def bad(field: str, ja: str, en: str) -> None:
        out.append(LineProblem(line, field, ja, en))

    if not _digits(p.bank_code, 4):
        bad("bank_code", *reason("銀行番号は4桁の数字です"))
    if not _digits(p.branch_code, 3):
        bad("branch_code", *reason("支店番号は3桁の数字です"))
    types = PAYROLL_ACCOUNT_TYPES if payroll else tuple(ACCOUNT_TYPES)
    if p.account_type not in types:
        bad("account_type", *reason("預金種目は {types} のいずれかです", types="/".join(types)))
    if not _digits(p.account_number, 7):
        bad("account_number", *reason("口座番号は7桁の数字です"))
    raw = p.payee_kana.encode("cp932", errors="replace")
    if not p.payee_kana.strip() or len(raw) > 30 or not NAME.admits(raw) \
            or len(raw) != len(p.payee_kana):
        bad("payee_kana",
            *reason("受取人名は半角カナ・英大文字・数字・空白・( ) - . の30文字以内です"))
    if type(p.amount) is not int or not 0 < p.amount <= MAX_AMOUNT:
        bad("amount", *reason("金額は1円以上9,999,999,999円以下です"))
    return out


# The name class (注1) as a compiled pattern over the decoded text: each allowed byte is one
# character (JIS X 0201 is single-byte in cp932), so this admits exactly what NAME admits.
_NAME_TEXT = re.compile("[" + re.escape("".join(bytes([b]).decode("cp932")
                                                for b in NAME.allowed)) + "]{1,30}")


def check_payees(payees: Sequence[Payee], *, payroll: bool, first_line: int = 1
                 ) -> list[LineProblem]:
    """:func:`check_payee` over a whole list, fast: a line whose fields all pass the cheap
    tests (cached codes, compiled patterns) is good; only the others go through
    :func:`check_payee` for their exact reasons. A 100,000-payee file checks in a few
    tenths of a second."""
    types = frozenset(PAYROLL_ACCOUNT_TYPES if payroll else ACCOUNT_TYPES)
    good_codes: dict[tuple[str, str], bool] = {}
    name_ok = _NAME_TEXT.fullmatch
    out: list[LineProblem] = []
    for line, p in enumerate(payees, first_line):
        codes = (p.bank_code, p.branch_code)
        ok = good_codes.get(codes)
        if ok is None:
            ok = good_codes[codes] = (len(codes[0]) == 4 and codes[0].isdigit()
                                      and len(codes[1]) == 3 and codes[1].isdigit()
                                      and codes[0].isascii() and codes[1].isascii())
        amount = p.amount
        number = p.account_number
        if not (ok and p.account_type in types and len(number) == 7 and number.isdigit()
                and number.isascii() and type(amount) is int and 0 < amount <= MAX_AMOUNT
                and name_ok(p.payee_kana) is not None and not p.payee_kana.isspace()):
            out.extend(check_payee(line, p, payroll=payroll))
    return out


class FeeTable:
    """The transfer fee of every payee of a request (XFER-7) without classifying each one
    from scratch: the destination depends only on the bank and branch (and, at the paying
    branch, on the name), the fee only on the destination and the amount band."""

    def __init__(self, fee_of: Callable[[str, int], int], *, own_bank: str, from_branch: str,
                 from_holder: str, bands: Iterable[tuple[str, int]]) -> None:
        self._fee_of = fee_of
        self._own_bank, self._from_branch = own_bank, from_branch
        self._from_name = "".join(from_holder.split())
        starts: dict[str, list[int]] = {}
        for destination, start in bands:
            starts.setdefault(destination, []).append(start)
        self._starts = {d: sorted(set(v)) for d, v in starts.items()}
        self._fees: dict[tuple[str, int], int] = {}

    def destination(self, p: Payee) -> str | None:
        """``other_bank`` / ``other_branch`` / ``own_branch``; ``None`` for a 振替 (same
        bank, branch and name: no fee), as :func:`kinko.transfers.rules.classify` says."""
        if p.bank_code != self._own_bank:
            return "other_bank"
        if p.branch_code != self._from_branch:
            return "other_branch"
        if "".join(p.payee_kana.split()) == self._from_name:
            return None
        return "own_branch"

    def fee(self, p: Payee) -> int:
        destination = self.destination(p)
        if destination is None:
            return 0
        starts = self._starts.get(destination)
        if not starts:
            return self._fee_of(destination, p.amount)
        band = starts[max(0, bisect_right(starts, p.amount) - 1)]
        key = (destination, band)
        fee = self._fees.get(key)
        if fee is None:
            fee = self._fees[key] = self._fee_of(destination, band)
        return fee


CSV_COLUMNS = ("bank_code", "branch_code", "account_type", "account_number", "payee_kana",
               "amount", "edi")


def parse_csv(text: str) -> tuple[list[Payee], list[LineProblem]]:
    """A CSV of payees, one per line, in the order of :data:`CSV_COLUMNS` (a header line
    naming them is skipped). Line numbers are the file's own line numbers."""
    payees: list[Payee] = []
    problems: list[LineProblem] = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), 1):
        if not row or all(not c.strip() for c in row):
            continue
        if number == 1 and row[0].strip().lower() == "bank_code":
            continue
        if len(row) not in (6, 7):
            problems.append(LineProblem(number, "-", *reason("項目数は6または7です")))
            continue
        amount_text = row[5].strip()
        amount = int(amount_text) if amount_text.isdigit() and len(amount_text) <= 10 else -1
        edi = row[6].strip() if len(row) == 7 and row[6].strip() else None
        payees.append(Payee(row[0].strip(), row[1].strip(), row[2].strip(), row[3].strip(),
                            row[4].strip(), amount, edi))
        for p in check_payee(number, payees[-1], payroll=False):
            problems.append(p)
    return payees, problems


def payees_digest(payees: Iterable[Payee]) -> str:
    """SHA-256 over the payee list, line by line: what the phone shows as the list's digest."""
    # One update over the joined lines hashes the same bytes as one update per line.
    return hashlib.sha256("".join(
        f"{p.bank_code}|{p.branch_code}|{p.account_type}|{p.account_number}|"
        f"{p.payee_kana}|{p.amount}|{p.edi or ''}\n" for p in payees).encode()).hexdigest()


def signed_details(*, request_id: int, version: int, kind: str, value_date: date, count: int,
                   total: int, fee_total: int, payees_digest: str) -> dict[str, object]:
    """Exactly what an approver approves and the phone shows and signs (APR-1, AUTH-12)."""
    return {"request": request_id, "version": version, "kind": kind,
            "value_date": value_date.isoformat(), "count": count, "total": total,
            "fee_total": fee_total, "payees_digest": payees_digest}


def details_digest(details: dict[str, object]) -> str:
    canonical = json.dumps(details, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- approvals (APR-1) -------------------------------------------------------------------

@dataclass(frozen=True)
class Given:
    step: str
    user_id: int
    via_phone: bool


class ApprovalRefused(ValueError):
    """Why a user may not approve now (the service turns it into a DomainError)."""


def steps_of(mode: str) -> tuple[str, ...]:
    return {"none": (), "single": ("single",), "double": ("first", "final")}[mode]


def next_step(mode: str, given: Sequence[Given]) -> str | None:
    done = {g.step for g in given}
    return next((s for s in steps_of(mode) if s not in done), None)


def check_approver(mode: str, *, maker_id: int, given: Sequence[Given], user_id: int,
                   smartphone: bool, via_phone: bool) -> str:
    """The step this user's approval fills, or :class:`ApprovalRefused`.

    The maker never approves its own request; in double approval the final approver is not
    the first; with smartphone authentication at least one step is signed on the phone, so
    the last step must be when no earlier one was."""
    step = next_step(mode, given)
    if step is None:
        raise ApprovalRefused("nothing left to approve")
    if user_id == maker_id:
        raise ApprovalRefused("the maker cannot approve its own request")
    if any(g.user_id == user_id for g in given):
        raise ApprovalRefused("the final approver must differ from the first")
    last = step == steps_of(mode)[-1]
    if smartphone and last and not via_phone and not any(g.via_phone for g in given):
        raise ApprovalRefused("at least one approval must be signed on the smartphone")
    return step


# --- cutoffs and funding (BULK-1, PAYR-1; SPEC §13) ---------------------------------------

@dataclass(frozen=True)
class Cutoffs:
    request: datetime       # approvals must be complete by then
    cancel: datetime        # cancellation online until then; a recall (with fee) after
    funding_day: date       # the funds must be in the account by the end of this day


def cutoffs(calendar: BankCalendar, value_date: date, *, request: tuple[int, time],
            cancel: tuple[int, time], funding_days_before: int) -> Cutoffs:
    return Cutoffs(calendar.deadline(value_date, request[0], request[1]),
                   calendar.deadline(value_date, cancel[0], cancel[1]),
                   calendar.add_business_days(value_date, -funding_days_before))


def check_value_date(calendar: BankCalendar, value_date: date, now: datetime,
                     request_cutoff: datetime, *, max_days_ahead: int = 60) -> None:
    """The value date is a business day whose request cutoff has not passed."""
    if not calendar.is_business_day(value_date):
        raise ApprovalRefused(
            f"{value_date} is not a business day; the next is "
            f"{calendar.next_business_day(value_date)}")
    if now >= request_cutoff:
        raise ApprovalRefused(f"the request cutoff {request_cutoff:%Y-%m-%d %H:%M} has passed")
    if (value_date - now.date()).days > max_days_ahead:
        raise ApprovalRefused(f"the value date is more than {max_days_ahead} days ahead")
