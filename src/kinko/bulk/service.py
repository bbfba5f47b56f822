"""Use cases of bulk transfer 総合振込 (BULK-1) and payroll/bonus 給与・賞与振込 (PAYR-1).

A request is built from a form, a Zengin file (21 / 11 / 12) or a CSV; a refused file keeps
nothing. Approvals follow the contract's mode (APR-1): none, single or double; the maker never
approves, the final approver is not the first, and with smartphone authentication at least one
step is signed on the phone over :func:`signed_details` (AUTH-12). Any edit makes a new version,
so earlier approvals no longer count. Approvals that miss the request cutoff expire.

Money (the outbox runs these at their due time):
- funding day, end of day: the total plus fees is held on the representative account (the
  funds must be there by then); short → not established;
- value date, the bank's debit time: one entry debits the hold (total + fees) into suspense
  and fee income; then the payees are paid in chunks, each chunk its own transaction — own-bank
  payees credited, other-bank payees cleared through the network. Every payee's posting has an
  idempotency key and its line state changes in the same transaction, so a run killed
  mid-file and run again pays nobody twice. An unpayable payee's amount comes back to the
  representative account; the fee stays (002 第5条6(7)).
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    and_,
    any_,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.service import record
from kinko.auth import approvals as phone_approvals
from kinko.auth.effects import notify
from kinko.auth.models import AuthContract, AuthUser
from kinko.auth.rules import operation_digest
from kinko.bulk import notices as _notices  # noqa: F401 - registers the mail templates
from kinko.bulk import rules
from kinko.bulk.errors import (
    ApprovalNotAllowed,
    ApprovalStale,
    BulkCutoffPassed,
    BulkFileRefused,
    BulkNotFound,
    NotCancellable,
    NotRecallable,
)
from kinko.bulk.models import (
    BulkApproval,
    BulkKind,
    BulkLine,
    BulkPayee,
    BulkRequest,
    BulkState,
    LineState,
)
from kinko.calendar import get_calendar
from kinko.catalogue import pair, reason
from kinko.config import get_settings
from kinko.corporate import entitlements
from kinko.corporate import service as corporate
from kinko.corporate.filecheck import check_dates
from kinko.corporate.rules import Service
from kinko.db import copy
from kinko.db.base import table_of
from kinko.db.pgarray import int_array_param
from kinko.errors import ValidationFailed
from kinko.instructions.service import Actor, StepUpProof
from kinko.ledger.books import book
from kinko.ledger.errors import AccountNotUsable, InsufficientFunds
from kinko.ledger.models import Account
from kinko.ledger.payouts import Payout, post_payouts
from kinko.ledger.rules import Leg
from kinko.ledger.service import EntryRequest, place_hold, post, post_many, release_hold
from kinko.outbox.service import enqueue, handler
from kinko.parties.models import Branch
from kinko.policy import Policy, policy_at
from kinko.policy.model import FeeDestination
from kinko.transfers import rules as transfer_rules
from kinko.transfers import service as transfers
from kinko.zengin import Options, parse
from kinko.zengin import charset as zengin_charset
from kinko.zengin import records as zr
from kinko.zengin.layouts import TRANSFER_HEADER
from kinko.zengin.model import RecordView

FUND_TOPIC = "bulk.fund"
EXECUTE_TOPIC = "bulk.execute"
LINES_TOPIC = "bulk.lines"
EXPIRE_TOPIC = "bulk.expire"
CHUNK = 5_000
ACTOR = "system:bulk"
# A request's kind as a notice names it inside a sentence ("your bulk transfer …"): the
# catalogue's lower-case English under its own context.
KIND_NAMES = {BulkKind.BULK: pair("総合振込", ctx="bulk_kind_in_sentence"),
              BulkKind.PAYROLL: pair("給与振込", ctx="bulk_kind_in_sentence"),
              BulkKind.BONUS: pair("賞与振込", ctx="bulk_kind_in_sentence")}
ZENGIN_KINDS = {"21": BulkKind.BULK, "11": BulkKind.PAYROLL, "12": BulkKind.BONUS}
OPEN_STATES = (BulkState.PENDING, BulkState.APPROVED, BulkState.FUNDED)


def service_of(kind: BulkKind) -> Service:
    return Service.BULK if kind is BulkKind.BULK else Service.PAYROLL


def _mode_kind(kind: BulkKind) -> str:
    return "bulk" if kind is BulkKind.BULK else "payroll"


# --- what is signed ---------------------------------------------------------------------------

def signed_details(req: BulkRequest) -> dict[str, object]:
    return rules.signed_details(request_id=req.id, version=req.version, kind=req.kind.value,
                                value_date=req.value_date, count=req.count, total=req.total,
                                fee_total=req.fee_total, payees_digest=req.payees_digest)


def approval_digest(req: BulkRequest) -> str:
    """The digest a PC step-up or a phone signature binds to (kinko.auth.rules)."""
    return operation_digest("approval", signed_details(req))


# --- building a request ---------------------------------------------------------------------

def _cutoffs(policy: Policy, kind: BulkKind, value_date: date, own_only: bool) -> rules.Cutoffs:
    calendar = get_calendar()
    if kind is BulkKind.BULK:
        b = policy.bulk_transfer
        return rules.cutoffs(calendar, value_date,
                             request=(b.request_cutoff.business_days_before, b.request_cutoff.at),
                             cancel=(b.cancel_cutoff.business_days_before, b.cancel_cutoff.at),
                             funding_days_before=b.funding_business_days_before)
    p = policy.payroll
    cut = p.request_cutoff_own_bank_only if own_only else p.request_cutoff_other_banks
    days = (p.funding_business_days_before_own_bank_only if own_only
            else p.funding_business_days_before_other_banks)
    return rules.cutoffs(calendar, value_date, request=(cut.business_days_before, cut.at),
                         cancel=(cut.business_days_before, cut.at), funding_days_before=days)


def _own_codes(session: Session) -> tuple[str, frozenset[str]]:
    return get_settings().bank_code, frozenset(session.execute(select(Branch.code)).scalars())


def _code_problems(session: Session, payees: Sequence[rules.Payee]) -> list[rules.LineProblem]:
    """Bank and branch codes against zengin-code (this bank: its own branches)."""
    from kinko.clearing import directory

    own_bank, branches = _own_codes(session)
    seen: dict[tuple[str, str], str | None] = {}
    out = []
    for line, p in enumerate(payees, 1):
        key = (p.bank_code, p.branch_code)
        if key not in seen:
            if p.bank_code == own_bank:
                seen[key] = None if p.branch_code in branches else "branch_code"
            elif directory.bank_name(p.bank_code) is None:
                seen[key] = "bank_code"
            elif directory.branch_name(p.bank_code, p.branch_code) is None:
                seen[key] = "branch_code"
            else:
                seen[key] = None
        if seen[key] is not None:
            out.append(rules.LineProblem(line, seen[key] or "",
                                         *reason("全銀協の金融機関・支店コードにありません")))
    return out


def _refuse(problems: Sequence[rules.LineProblem]) -> None:
    if problems:
        raise BulkFileRefused([p.as_dict() for p in problems])


def _contract_and_account(session: Session, actor: Actor, kind: BulkKind
                          ) -> tuple[AuthContract, Account]:
    contract = session.get(AuthContract, actor.contract_id)
    if contract is None or contract.representative_account_id is None:
        raise BulkNotFound(detail="no representative account")
    # Funds and fees come from the representative account (002 第5条6(2)).
    entitlements.check(session, actor, service_of(kind),
                       account_id=contract.representative_account_id)
    account = session.get(Account, contract.representative_account_id)
    assert account is not None
    return contract, account


def create(session: Session, actor: Actor, *, kind: BulkKind, source: str, value_date: date,
           payees: Sequence[rules.Payee], remitter_kana: str | None = None,
           line_offset: int = 0) -> BulkRequest:
    """Check everything and store the request waiting for approval; or refuse it whole.
    Problems name payee ``n`` as line ``n + line_offset`` (a Zengin file's record number)."""
    contract, account = _contract_and_account(session, actor, kind)
    if not 0 < len(payees) <= rules.MAX_PAYEES:
        raise BulkFileRefused([rules.LineProblem(0, "-", *reason(
                                    "振込先は1件以上10万件以下です")).as_dict()])
    payroll = kind is not BulkKind.BULK
    _refuse(rules.check_payees(payees, payroll=payroll, first_line=1 + line_offset))
    _refuse([rules.LineProblem(p.line + line_offset, p.field, p.reason_ja, p.reason_en)
             for p in _code_problems(session, payees)])
    now = clock.now()
    policy = policy_at(now)
    settings = get_settings()
    own_only = all(p.bank_code == settings.bank_code for p in payees)
    cut = _cutoffs(policy, kind, value_date, own_only)
    try:
        rules.check_value_date(get_calendar(now), value_date, now, cut.request)
    except rules.ApprovalRefused as exc:
        raise BulkCutoffPassed(detail=str(exc)) from exc
    fees = list(map(_fee_table(policy, account).fee, payees))
    mode = corporate.approval_mode(session, contract, _mode_kind(kind))
    req = BulkRequest(
        contract_id=contract.id, customer_id=actor.customer_id, maker_user_id=actor.user_id,
        kind=kind, source=source, state=BulkState.PENDING, value_date=value_date,
        debit_account_id=account.id, remitter_kana=(remitter_kana or account.holder_kana)[:40],
        count=len(payees), total=sum(p.amount for p in payees), fee_total=sum(fees),
        own_bank_only=own_only, digest="", payees_digest=rules.payees_digest(payees),
        version=1, approval_mode=mode, request_cutoff_at=cut.request,
        cancel_cutoff_at=cut.cancel, funding_day=cut.funding_day, created_at=now)
    session.add(req)
    session.flush()
    req.digest = approval_digest(req)
    _insert_lines(session, req.id, payees, fees, settings.bank_code)
    record(session, actor=actor.label, action="bulk.entered", subject_type="bulk_request",
           subject_id=req.id, data={"kind": kind.value, "count": req.count, "total": req.total,
                                    "source": source, "digest": req.digest})
    enqueue(session, EXPIRE_TOPIC, {"request_id": req.id}, due_at=cut.request,
            dedupe_key=f"{EXPIRE_TOPIC}:{req.id}")
    if mode == "none":
        _approved(session, req)
    else:
        _mail(session, req, "bulk.entered", req.maker_user_id)
    return req


LINE_COLUMNS = ("request_id", "line_no", "bank_code", "branch_code", "account_type",
                "account_number", "payee_kana", "amount", "fee", "own_bank", "edi",
                "customer_code", "state")


def _fee_table(policy: Policy, account: Account) -> rules.FeeTable:
    transfers_policy = policy.transfers
    return rules.FeeTable(
        lambda destination, amount: transfers_policy.transfer_fee(FeeDestination(destination),
                                                                  amount),
        own_bank=get_settings().bank_code, from_branch=account.branch_code,
        from_holder=account.holder_kana,
        bands=[(b.destination.value, b.from_amount) for b in transfers_policy.fee_bands])


def _insert_lines(session: Session, request_id: int, payees: Sequence[rules.Payee],
                  fees: Sequence[int], own_bank: str) -> None:
    """Store the payee lines: on PostgreSQL one COPY fed with text built here in a few
    string operations per line (100,000 lines in well under a second); one executemany
    elsewhere."""
    pending = LineState.PENDING.value
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(BulkLine), [dict(zip(LINE_COLUMNS, (
            request_id, i, p.bank_code, p.branch_code, p.account_type, p.account_number,
            p.payee_kana, p.amount, fee, p.bank_code == own_bank, p.edi, p.customer_code,
            pending), strict=True)) for i, (p, fee) in enumerate(zip(payees, fees, strict=True),
                                                                 1)])
        return
    # Codes, types and numbers are digits and a name is of the name class (checked before),
    # so only the EDI text and the customer code can hold a character COPY escapes.
    text, null = copy.text, copy.NULL
    body = "".join(
        f"{request_id}\t{i}\t{p.bank_code}\t{p.branch_code}\t{p.account_type}\t"
        f"{p.account_number}\t{p.payee_kana}\t{p.amount:d}\t{fee:d}\t"
        f"{'t' if p.bank_code == own_bank else 'f'}\t"
        f"{null if p.edi is None else text(p.edi)}\t"
        f"{null if p.customer_code is None else text(p.customer_code)}\t{pending}\n"
        for i, (p, fee) in enumerate(zip(payees, fees, strict=True), 1))
    copy.copy_text(session, "bulk_lines", LINE_COLUMNS, body)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a file is turned into payees or a chunk is paid:
    a 100,000-payee upload makes 100,000 tuples that all live to the end, and a chunk tens of
    thousands of rows, keys and COPY lines; the collector would walk them again and again (a
    quarter of the upload's CPU). Neither makes cycles to speak of; the pause is process-wide
    but lasts one upload or one chunk (about a second), and the collector is back on after,
    also on an error, unless something else had turned it off."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def from_zengin(session: Session, actor: Actor, data: bytes) -> BulkRequest:
    with _collector_paused():
        return _from_zengin(session, actor, data)


def _from_zengin(session: Session, actor: Actor, data: bytes) -> BulkRequest:
    """A 総合振込 (21) or 給与・賞与 (11 / 12) file: format errors, unknown codes and a closed
    value date are refused with the record number; nothing from a refused file is kept."""
    if not data:
        raise BulkFileRefused([rules.LineProblem(0, "-", *reason(
                                    "ファイルが空です")).as_dict()])
    result = parse(data, Options(reference_date=clock.today()))
    if result.file is None:
        # The field's name in both languages, as the reason: the page shows the one of its
        # language, the API answer carries both.
        raise BulkFileRefused([{"line": e.record, "field": e.field_ja or "-",
                                "field_en": e.field_en or "-",
                                "reason_ja": e.reason_ja, "reason_en": e.reason_en}
                               for e in result.errors])
    file = result.file
    kind = ZENGIN_KINDS.get(file.type_code)
    if kind is None or len(file.groups) != 1:
        type_code = TRANSFER_HEADER.field("type_code")
        raise BulkFileRefused([rules.LineProblem(1, type_code.ja, *reason(
                                    "総合振込(21)・給与(11)・賞与(12)の1口座分のファイルのみ受け付けます")).as_dict()
                               | {"field_en": type_code.en}])
    found = check_dates(file, get_calendar())
    if found:
        raise BulkFileRefused([{"line": f.record, "field": f.field_ja, "field_en": f.field_en,
                                "reason_ja": f.reason_ja, "reason_en": f.reason_en,
                                "suggestion": f.suggestion}
                               for f in found])
    header = file.groups[0].header
    records = file.groups[0].records
    payees = (_payees_from_raw(records.raw(), kind) if isinstance(records, RecordView)
              else _payees_from_records(records))
    return create(session, actor, kind=kind, source="zengin",
                  value_date=header.value_date,  # type: ignore[attr-defined]
                  payees=payees,
                  remitter_kana=getattr(header, "originator_name", None)
                  or getattr(header, "company_name", None), line_offset=1)


def _payees_from_records(records: Sequence[zr.Record]) -> list[rules.Payee]:
    payees = []
    for rec in records:
        if isinstance(rec, zr.TransferData):
            edi = rec.edi_info.strip() if rec.edi_flag else None
            code = None if rec.edi_flag else f"{rec.customer_code1}{rec.customer_code2}".strip()
        else:
            edi, code = None, None
        payees.append(rules.Payee(rec.bank_code, rec.branch_code,  # type: ignore[attr-defined]
                                  rec.account_type, rec.account_number,  # type: ignore[attr-defined]
                                  rec.payee_name.rstrip(), rec.amount,  # type: ignore[attr-defined]
                                  edi or None, code or None))
    return payees


def _payees_from_raw(raw: Iterable[bytes], kind: BulkKind) -> list[rules.Payee]:
    """The payee columns of validated 21/11/12 data records, sliced from their bytes (the
    JBA layout: 2–5 bank, 21–23 branch, 43 type, 44–50 number, 51–80 name, 81–90 amount,
    92–111 customer codes or EDI, 113 EDI flag). The reader has already checked every field,
    so this only cuts; it is what makes a 100,000-payee upload fast."""
    records = list(raw)
    size = len(records[0]) if records else 0
    if any(len(r) != size for r in records):
        raise BulkFileRefused([rules.LineProblem(2, "-", *reason(
                                    "データレコードの長さが揃っていません")).as_dict()])
    # One decode of every record at once (JIS X 0201 is one character per byte, so each
    # column stays at its byte offset); a byte outside it would show as U+FFFD.
    text = zengin_charset.decode(b"".join(records))
    if "\ufffd" in text:
        where = text.index("\ufffd") // size + 2
        raise BulkFileRefused([rules.LineProblem(where, "-", *reason(
                                    "JIS X 0201 以外の文字があります")).as_dict()])
    transfer = kind is BulkKind.BULK
    payee = rules.Payee
    payees: list[rules.Payee] = []
    for at in range(0, len(text), size or 1):
        edi = code = None
        if transfer:
            extra = text[at + 91:at + 111].strip()
            if text[at + 112] == "Y":
                edi = extra or None
            else:
                code = extra or None
        payees.append(payee(text[at + 1:at + 5], text[at + 20:at + 23], text[at + 42],
                            text[at + 43:at + 50], text[at + 50:at + 80].rstrip(),
                            int(text[at + 80:at + 90]), edi, code))
    return payees


def from_csv(session: Session, actor: Actor, text: str, *, kind: BulkKind, value_date: date
             ) -> BulkRequest:
    with _collector_paused():
        return _from_csv(session, actor, text, kind=kind, value_date=value_date)


def _from_csv(session: Session, actor: Actor, text: str, *, kind: BulkKind, value_date: date
              ) -> BulkRequest:
    payees, problems = rules.parse_csv(text)
    _refuse(problems)
    header = 1 if text.lstrip("\ufeff").lower().startswith("bank_code") else 0
    return create(session, actor, kind=kind, source="csv", value_date=value_date,
                  payees=payees, line_offset=header)


# --- reading --------------------------------------------------------------------------------

def get(session: Session, actor: Actor, request_id: int, *, lock: bool = False) -> BulkRequest:
    """The contract's request, for a user granted its service (payroll details are visible
    only to users granted payroll, PAYR-1); anything else is not found."""
    req = session.get(BulkRequest, request_id, with_for_update=lock)
    if req is None or req.contract_id != actor.contract_id:
        raise BulkNotFound(detail=f"request {request_id}")
    entitlements.check(session, actor, service_of(req.kind))
    return req


def list_for(session: Session, actor: Actor, *, limit: int = 50) -> list[BulkRequest]:
    contract = session.get(AuthContract, actor.contract_id)
    user = session.get(AuthUser, actor.user_id)
    if contract is None or user is None:
        return []
    allowed = entitlements.user_services(session, contract, user)
    kinds = [k for k in BulkKind if service_of(k) in allowed]
    if not kinds:
        entitlements.check(session, actor, Service.BULK)  # the refusal the user should see
    return list(session.execute(
        select(BulkRequest).where(BulkRequest.contract_id == actor.contract_id,
                                  BulkRequest.kind.in_(kinds))
        .order_by(BulkRequest.id.desc()).limit(limit)).scalars())


def lines_of(session: Session, req: BulkRequest, *, offset: int = 0, limit: int = 200
             ) -> list[BulkLine]:
    return list(session.execute(
        select(BulkLine).where(BulkLine.request_id == req.id).order_by(BulkLine.line_no)
        .offset(offset).limit(limit)).scalars())


def pending_for(session: Session, actor: Actor) -> list[BulkRequest]:
    """Requests this user could approve now (home page)."""
    out = []
    for req in list_for(session, actor):
        if req.state is not BulkState.PENDING or req.maker_user_id == actor.user_id:
            continue
        given = _given(session, req)
        if all(g.user_id != actor.user_id for g in given):
            out.append(req)
    return out


# --- editing ---------------------------------------------------------------------------------

def edit_line(session: Session, actor: Actor, request_id: int, line_no: int, *,
              amount: int | None = None, remove: bool = False) -> BulkRequest:
    """Change one payee's amount, or remove it. A new version: earlier approvals are void."""
    req = get(session, actor, request_id, lock=True)
    if req.state is not BulkState.PENDING:
        raise ApprovalStale(detail=req.state.value)
    if clock.now() >= req.request_cutoff_at:
        raise BulkCutoffPassed()
    line = session.execute(select(BulkLine).where(BulkLine.request_id == req.id,
                                                  BulkLine.line_no == line_no)).scalar_one_or_none()
    if line is None:
        raise BulkNotFound(detail=f"line {line_no}")
    if remove:
        if req.count == 1:
            raise ValidationFailed(detail="a request keeps at least one payee")
        session.delete(line)
    else:
        if amount is None or not 0 < amount <= rules.MAX_AMOUNT:
            raise ValidationFailed(detail="amount 1 … 9,999,999,999")
        line.amount = amount
        policy = policy_at(clock.now())
        account = session.get(Account, req.debit_account_id)
        assert account is not None
        c = transfer_rules.classify(own_bank_code=get_settings().bank_code,
                                    from_branch=account.branch_code,
                                    from_holder=account.holder_kana, to_bank=line.bank_code,
                                    to_branch=line.branch_code, to_holder=line.payee_kana)
        line.fee = (policy.transfers.transfer_fee(c.destination, amount)
                    if c.kind == "furikomi" else 0)
    session.flush()
    _recompute(session, req)
    record(session, actor=actor.label, action="bulk.edited", subject_type="bulk_request",
           subject_id=req.id, data={"line": line_no, "amount": amount, "removed": remove,
                                    "version": req.version})
    return req


def _recompute(session: Session, req: BulkRequest) -> None:
    lines = lines_of(session, req, limit=rules.MAX_PAYEES)
    req.count, req.total = len(lines), sum(x.amount for x in lines)
    req.fee_total = sum(x.fee for x in lines)
    req.payees_digest = rules.payees_digest(
        rules.Payee(x.bank_code, x.branch_code, x.account_type, x.account_number, x.payee_kana,
                    x.amount, x.edi) for x in lines)
    req.version += 1
    req.digest = approval_digest(req)
    session.flush()


# --- approvals ----------------------------------------------------------------------------

def _given(session: Session, req: BulkRequest) -> list[rules.Given]:
    return [rules.Given(a.step, a.user_id, a.via_phone) for a in session.execute(
        select(BulkApproval).where(BulkApproval.request_id == req.id,
                                   BulkApproval.version == req.version)
        .order_by(BulkApproval.id)).scalars()]


def approve(session: Session, actor: Actor, request_id: int, *, digest: str,
            step_up: StepUpProof | None = None, phone_approval_id: str | None = None
            ) -> BulkRequest:
    """One approval step over exactly ``digest`` (what the approver was shown).

    From the PC the step-up proof binds to the digest; from the phone the signed approval
    does (AUTH-12). A request that changed since (a new version) is stale."""
    req = get(session, actor, request_id, lock=True)
    if req.state is not BulkState.PENDING or digest != req.digest:
        raise ApprovalStale(detail=f"{req.state.value} v{req.version}")
    now = clock.now()
    if now >= req.request_cutoff_at:
        _expire(session, req)
        raise BulkCutoffPassed(detail="approvals missed the cutoff")
    user = session.get(AuthUser, actor.user_id)
    contract = session.get(AuthContract, actor.contract_id)
    assert user is not None and contract is not None
    via_phone = phone_approvals.prove_step(
        session, user, digest=req.digest, step_up=step_up,
        phone_approval_id=phone_approval_id, refused=ApprovalNotAllowed, what="approving a request")
    given = _given(session, req)
    try:
        step = rules.check_approver(req.approval_mode, maker_id=req.maker_user_id, given=given,
                                    user_id=actor.user_id, smartphone=contract.smartphone_auth,
                                    via_phone=via_phone)
    except rules.ApprovalRefused as exc:
        raise ApprovalNotAllowed(detail=str(exc)) from exc
    try:
        with session.begin_nested():
            session.add(BulkApproval(request_id=req.id, version=req.version, step=step,
                                     user_id=actor.user_id, digest=req.digest,
                                     via_phone=via_phone, approved_at=now))
            session.flush()
    except IntegrityError as exc:  # another approver took this step at the same moment
        raise ApprovalStale(detail="already approved") from exc
    record(session, actor=actor.label, action="bulk.approval", subject_type="bulk_request",
           subject_id=req.id, data={"step": step, "version": req.version,
                                    "via_phone": via_phone, "digest": req.digest})
    _mail(session, req, "bulk.approval_step", actor.user_id, step=step)
    if rules.next_step(req.approval_mode, [*given, rules.Given(step, actor.user_id, via_phone)]
                       ) is None:
        _approved(session, req)
    return req


def reject(session: Session, actor: Actor, request_id: int, *, reason: str = "") -> BulkRequest:
    req = get(session, actor, request_id, lock=True)
    if req.state is not BulkState.PENDING:
        raise ApprovalStale(detail=req.state.value)
    if actor.user_id == req.maker_user_id:
        raise ApprovalNotAllowed(detail="the maker cancels instead")
    _finish(session, req, BulkState.REJECTED, reason=reason[:200] or "rejected")
    record(session, actor=actor.label, action="bulk.rejected", subject_type="bulk_request",
           subject_id=req.id, data={"reason": reason[:200]})
    _mail(session, req, "bulk.rejected", req.maker_user_id, reason=reason[:200])
    return req


def _transition(session: Session, req: BulkRequest, frm: Sequence[BulkState], to: BulkState,
                **values: Any) -> bool:
    t = table_of(BulkRequest)
    done = session.execute(update(t).where(t.c.id == req.id, t.c.state.in_(list(frm)),
                                           t.c.version == req.version)
                           .values(state=to, **values).returning(t.c.id)).one_or_none()
    session.expire(req)
    return done is not None


def _finish(session: Session, req: BulkRequest, state: BulkState, *, reason: str) -> None:
    if not _transition(session, req, OPEN_STATES, state, finished_at=clock.now(),
                       reason=reason[:200]):
        raise ApprovalStale(detail="already processed")


def _approved(session: Session, req: BulkRequest) -> None:
    """Every approval given: schedule the funding check and the execution (once)."""
    if not _transition(session, req, (BulkState.PENDING,), BulkState.APPROVED,
                       approved_at=clock.now()):
        raise ApprovalStale(detail="already approved")
    policy = policy_at(clock.now())
    fund_at = max(clock.now(), datetime.combine(req.funding_day, time(23, 59), clock.JST))
    run_at = datetime.combine(req.value_date, policy.transfers.future_dated_debit_time,
                              clock.JST)
    enqueue(session, FUND_TOPIC, {"request_id": req.id}, due_at=min(fund_at, run_at),
            dedupe_key=f"{FUND_TOPIC}:{req.id}")
    enqueue(session, EXECUTE_TOPIC, {"request_id": req.id}, due_at=run_at,
            dedupe_key=f"{EXECUTE_TOPIC}:{req.id}")
    record(session, actor=ACTOR, action="bulk.approved", subject_type="bulk_request",
           subject_id=req.id, data={"version": req.version, "digest": req.digest})
    _mail(session, req, "bulk.approved", req.maker_user_id)


def _expire(session: Session, req: BulkRequest) -> None:
    if _transition(session, req, (BulkState.PENDING,), BulkState.EXPIRED,
                   finished_at=clock.now(), reason="approvals missed the cutoff"):
        record(session, actor=ACTOR, action="bulk.expired", subject_type="bulk_request",
               subject_id=req.id)
        _mail(session, req, "bulk.expired", req.maker_user_id)


@handler(EXPIRE_TOPIC)
def expire_due(session: Session, payload: dict[str, Any]) -> None:
    req = session.get(BulkRequest, payload["request_id"], with_for_update=True)
    if req is not None and req.state is BulkState.PENDING:
        _expire(session, req)


# --- cancellation and recall ------------------------------------------------------------------

def cancel(session: Session, actor: Actor, request_id: int) -> BulkRequest:
    """Until the cancel cutoff: cancelled. After it and before the value date's run: a
    recall (組戻) with its fee. Once the run has begun: not online (the branch)."""
    req = get(session, actor, request_id, lock=True)
    if req.state not in OPEN_STATES:
        raise NotCancellable(detail=req.state.value)
    now = clock.now()
    if req.hold_id is not None:
        release_hold(session, req.hold_id, actor=actor.label)
    if now < req.cancel_cutoff_at or req.state is BulkState.PENDING:
        _finish(session, req, BulkState.CANCELLED, reason="cancelled by the customer")
        template = "bulk.cancelled"
    else:
        fee = policy_at(now).transfers.recall_fee
        post(session, EntryRequest(
            kind="recall_fee", memo=f"bulk {req.id} recall",
            idempotency_key=f"bulk:{req.id}:recall",
            legs=[Leg(req.debit_account_id, -fee, "ｸﾐﾓﾄﾞｼﾃｽｳﾘﾖｳ"),
                  Leg(book(session, "fee_income"), fee, "ｸﾐﾓﾄﾞｼﾃｽｳﾘﾖｳ")]), actor=actor.label)
        _finish(session, req, BulkState.RECALLED, reason=f"recalled after the cutoff; fee {fee}")
        template = "bulk.recalled"
    record(session, actor=actor.label, action=template, subject_type="bulk_request",
           subject_id=req.id)
    _mail(session, req, template, req.maker_user_id)
    return req


@dataclass
class RecallOutcome:
    """What an online recall did: the lines whose amounts came back, the fee charged, and
    the lines left as they were with the reason (one per line number)."""

    recalled: list[int]
    fee: int
    kept: dict[int, str]


RECALLABLE = (BulkState.EXECUTING, BulkState.EXECUTED)
_KEEP_REASONS = {
    LineState.SENT: "他行宛は支店で組戻を承ります / other-bank payees: recall at the branch",
    LineState.RETURNED: "振込不能で返却済です / already returned as unpayable",
    LineState.RECALLED: "組戻済です / already recalled",
}


def _ranges(numbers: Sequence[int]) -> list[list[int]]:
    """Line numbers as [first, last] runs: an audit entry of a whole-file recall stays short."""
    out: list[list[int]] = []
    for n in sorted(numbers):
        if out and n == out[-1][1] + 1:
            out[-1][1] = n
        else:
            out.append([n, n])
    return out


def _recall_candidates(session: Session, req: BulkRequest, line_nos: Sequence[int] | None
                       ) -> list[Any]:
    """The request's lines named (all of them for ``None``); an unknown number is an error."""
    query = select(*PAY_COLUMNS, BulkLine.state).where(BulkLine.request_id == req.id)
    wanted = None if line_nos is None else set(line_nos)
    if wanted is not None and not wanted:
        raise NotRecallable(detail="no payee chosen")
    if wanted is not None and (len(wanted) <= 500
                               or session.get_bind().dialect.name == "postgresql"):
        # A long list on SQLite would pass its bound-parameter limit: read the request's
        # lines and keep the chosen ones below instead.
        query = query.where(_any_of(session, BulkLine.line_no, sorted(wanted), Integer))
    lines = [x for x in session.execute(query.order_by(BulkLine.line_no)).all()
             if wanted is None or x.line_no in wanted]
    if wanted is not None and len(lines) != len(wanted):
        missing = sorted(wanted - {x.line_no for x in lines})
        raise BulkNotFound(detail="line " + ", ".join(str(n) for n in missing[:20]))
    return lines


def _amounts_back(session: Session, req: BulkRequest, lines: Sequence[Any],
                  kept: dict[int, str]) -> list[tuple[Any, EntryRequest]]:
    """The entry that brings each recallable line's amount back to the paying account: from
    suspense for a line not paid yet, from the payee's account for one credited here."""
    suspense = book(session, "suspense")
    targets = _own_targets(session, [x for x in lines if x.state is LineState.CREDITED])
    back: list[tuple[Any, EntryRequest]] = []
    for x in lines:
        if x.state is LineState.PENDING:
            source = suspense
        elif x.state is LineState.CREDITED:
            found = targets.get((x.branch_code, x.account_number))
            if found is None:
                kept[x.line_no] = "口座が見つかりません / the payee account is gone"
                continue
            source = found
        else:
            continue
        back.append((x, EntryRequest(
            kind="bulk_recall", memo=f"bulk {req.id} recall",
            idempotency_key=f"bulk:{req.id}:recall:{x.line_no}",
            legs=[Leg(source, -x.amount, "ｸﾐﾓﾄﾞｼ"),
                  Leg(req.debit_account_id, x.amount, f"ｸﾐﾓﾄﾞｼ {x.payee_kana}"[:48])])))
    return back


def recall(session: Session, actor: Actor, request_id: int, *,
           line_nos: Sequence[int] | None = None, reason: str = "") -> RecallOutcome:
    """組戻 once the value date's run has begun (BULK-1: "cancellation until the cutoff, then
    recall with the fee"): the whole request (``line_nos`` None) or the payees named.

    - a payee not paid yet (the run is still going): withheld; the amount goes back from
      suspense to the representative account at once;
    - a payee credited at this bank: the amount is taken back from the payee's account to
      the representative account when the account can give it (the bank books both sides);
      otherwise the line stays credited, with the reason;
    - a payee at another bank: not online (the recall goes through the branch), said per line.

    Each recalled payee costs the policy's recall fee (002 第5条2(7)), charged to the
    representative account through the ledger after the amounts came back; when the account
    cannot pay it, nothing is done. The request row is locked as the runner locks it, so a
    chunk being paid and a recall never interleave; every posting has its own idempotency key."""
    req = get(session, actor, request_id, lock=True)
    if req.state not in RECALLABLE:
        raise NotRecallable(detail=f"{req.state.value}: cancel before the run instead"
                            if req.state in OPEN_STATES else req.state.value)
    lines = _recall_candidates(session, req, line_nos)
    kept = {x.line_no: _KEEP_REASONS[x.state] for x in lines if x.state in _KEEP_REASONS}
    back = _amounts_back(session, req, lines, kept)
    result = post_many(session, [e for _, e in back], actor=actor.label) if back else None
    done = []
    for index, (x, _) in enumerate(back):
        refused = result.refused.get(index) if result else None
        if refused is not None and refused != "REPLAYED":
            kept[x.line_no] = ("受取人の口座から戻せません（残高不足等） / the payee's account "
                               f"cannot give the amount back ({refused})")
        else:
            done.append(x)
    fee_each = policy_at(clock.now()).transfers.recall_fee
    if done and fee_each:
        fee_book = book(session, "fee_income")
        fees = post_many(session, [EntryRequest(
            kind="recall_fee", memo=f"bulk {req.id} recall",
            idempotency_key=f"bulk:{req.id}:recall-fee:{x.line_no}",
            legs=[Leg(req.debit_account_id, -fee_each, "ｸﾐﾓﾄﾞｼﾃｽｳﾘﾖｳ"),
                  Leg(fee_book, fee_each, "ｸﾐﾓﾄﾞｼﾃｽｳﾘﾖｳ")]) for x in done], actor=actor.label)
        if any(code != "REPLAYED" for code in fees.refused.values()):
            # Nothing of this recall is kept: the route's transaction rolls back.
            raise InsufficientFunds(detail=f"the recall fee of {fee_each * len(done)} yen")
    _mark_lines(session, [(LineState.RECALLED, done, f"組戻 / recalled {reason}".strip()[:120])],
                frm=(LineState.PENDING, LineState.CREDITED))
    outcome = RecallOutcome([x.line_no for x in done], fee_each * len(done), kept)
    if not done:
        raise NotRecallable(detail="; ".join(f"line {n}: {why}" for n, why
                                             in sorted(kept.items())[:20]) or "nothing to recall")
    record(session, actor=actor.label, action="bulk.lines_recalled",
           subject_type="bulk_request", subject_id=req.id,
           data={"lines": _ranges(outcome.recalled), "count": len(done),
                 "amount": sum(x.amount for x in done), "fee": outcome.fee,
                 "kept": len(kept), "whole": line_nos is None, "reason": reason[:200]})
    _mail(session, req, "bulk.lines_recalled", actor.user_id, recalled=len(done),
          recall_fee=outcome.fee, kept=len(kept), step=f"recall-{outcome.recalled[0]}")
    return outcome


# --- funding and execution (the outbox runs these) ----------------------------------------

def _not_established(session: Session, req: BulkRequest, reason: str) -> None:
    if _transition(session, req, (BulkState.APPROVED, BulkState.FUNDED),
                   BulkState.NOT_ESTABLISHED, finished_at=clock.now(), reason=reason):
        record(session, actor=ACTOR, action="bulk.not_established", subject_type="bulk_request",
               subject_id=req.id, data={"reason": reason})
        _mail(session, req, "bulk.not_established", req.maker_user_id, reason=reason)


def _fund(session: Session, req: BulkRequest) -> bool:
    try:
        with session.begin_nested():
            hold = place_hold(session, account_id=req.debit_account_id,
                              amount=req.total + req.fee_total, reason=f"bulk {req.id}",
                              actor=ACTOR, idempotency_key=f"bulk:{req.id}:hold")
    except (InsufficientFunds, AccountNotUsable):
        _not_established(session, req, "資金不足 / funds not in the account by the funding day")
        return False
    return _transition(session, req, (BulkState.APPROVED,), BulkState.FUNDED, hold_id=hold)


@handler(FUND_TOPIC)
def fund_due(session: Session, payload: dict[str, Any]) -> None:
    req = session.get(BulkRequest, payload["request_id"], with_for_update=True)
    if req is not None and req.state is BulkState.APPROVED:
        _fund(session, req)


@handler(EXECUTE_TOPIC)
def execute_due(session: Session, payload: dict[str, Any]) -> None:
    """The value date: debit total + fees once, then pay the payees chunk by chunk."""
    req = session.get(BulkRequest, payload["request_id"], with_for_update=True)
    if req is None:
        return
    if req.state is BulkState.APPROVED and not _fund(session, req):
        return
    if req.state is not BulkState.FUNDED:
        return  # cancelled, not established, or already running
    assert req.hold_id is not None
    release_hold(session, req.hold_id, actor=ACTOR, captured=True)
    legs = [Leg(req.debit_account_id, -(req.total + req.fee_total), "ｿｳｺﾞｳﾌﾘｺﾐ"),
            Leg(book(session, "suspense"), req.total, f"ｿｳｺﾞｳﾌﾘｺﾐ {req.id}")]
    if req.fee_total:
        legs.append(Leg(book(session, "fee_income"), req.fee_total, "ﾌﾘｺﾐﾃｽｳﾘﾖｳ"))
    posted = post(session, EntryRequest(kind=f"{req.kind.value}_debit", legs=legs,
                                        memo=f"bulk {req.id}", value_date=req.value_date,
                                        idempotency_key=f"bulk:{req.id}:debit"), actor=ACTOR)
    _transition(session, req, (BulkState.FUNDED,), BulkState.EXECUTING,
                debit_entry_id=posted.entry_id)
    record(session, actor=ACTOR, action="bulk.debited", subject_type="bulk_request",
           subject_id=req.id, data={"entry": posted.entry_id})
    _enqueue_chunks(session, req)


def _enqueue_chunks(session: Session, req: BulkRequest) -> None:
    """One message per ``CHUNK`` line numbers, all due now: runners working side by side
    (``kinko batch run`` twice) pay different chunks at the same time (their payees' accounts
    are different; the suspense debit is locked only for each chunk's short tail, see
    ``post_payouts``). ``chunks_left`` counts them down; the last one done ends the run."""
    last = session.scalar(select(func.max(BulkLine.line_no)).where(
        BulkLine.request_id == req.id)) or 0
    starts = range(1, last + 1, CHUNK)
    t = table_of(BulkRequest)
    session.execute(update(t).where(t.c.id == req.id).values(chunks_left=len(starts)))
    for start in starts:
        enqueue(session, LINES_TOPIC,
                {"request_id": req.id, "from": start, "to": start + CHUNK - 1},
                dedupe_key=f"{LINES_TOPIC}:{req.id}:{start}")


@dataclass
class ChunkResult:
    credited: int = 0
    sent: int = 0
    returned: int = 0


def _any_of(session: Session, column: Any, values: Sequence[Any], item: Any) -> Any:
    """``column IN values``; on PostgreSQL as ``= ANY(array)``: one bind for a whole chunk
    instead of 5,000 placeholders for the driver to render and the planner to read."""
    if session.get_bind().dialect.name == "postgresql":
        if issubclass(item, Integer):   # one text literal: see kinko.db.pgarray
            return column == any_(int_array_param(f"any_{column.key}", values))
        return column == any_(bindparam(f"any_{column.key}", list(values), type_=ARRAY(item)))
    return column.in_(list(values))


def _own_targets(session: Session, own: Sequence[Any]) -> dict[tuple[str, str], int]:
    """This bank's payee accounts of a chunk by (branch, number), a few queries for all."""
    targets: dict[tuple[str, str], int] = {}
    by_branch: dict[str, list[str]] = {}
    for x in own:
        by_branch.setdefault(x.branch_code, []).append(x.account_number)
    for branch, numbers in by_branch.items():
        # One query per branch on the (branch_code, number) unique index.
        targets.update({(branch, n): i for i, n in session.execute(
            select(Account.id, Account.number).where(
                Account.branch_code == branch,
                _any_of(session, Account.number, numbers, String)))})
    return targets


# The columns a run needs of each payee line: plain rows, not ORM objects (a chunk is 5,000).
PAY_COLUMNS = (BulkLine.id, BulkLine.line_no, BulkLine.bank_code, BulkLine.branch_code,
               BulkLine.account_type, BulkLine.account_number, BulkLine.payee_kana,
               BulkLine.amount, BulkLine.own_bank, BulkLine.edi)


def pending_lines(session: Session, request_id: int, limit: int, first: int = 1,
                  last: int | None = None) -> list[Any]:
    """The next ``limit`` unpaid lines of a request from line ``first`` (to ``last``) in line
    order, as plain rows, read along the (request_id, line_no) key from the chunk's first
    line instead of walking over the lines paid already. ``target``: the id of this bank's
    account the line names (None for another bank's payee or no such account), found in the
    same statement by the accounts' (branch_code, number) key — a second query with the
    chunk's 5,000 numbers as a parameter cost a tenth of the run."""
    match = [BulkLine.request_id == request_id, BulkLine.line_no >= first,
             BulkLine.state == LineState.PENDING]
    if last is not None:
        match.append(BulkLine.line_no <= last)
    named = and_(BulkLine.own_bank, Account.branch_code == BulkLine.branch_code,
                 Account.number == BulkLine.account_number)
    return list(session.execute(
        select(*PAY_COLUMNS, Account.id.label("target")).outerjoin(Account, named)
        .where(*match).order_by(BulkLine.line_no).limit(limit)).all())


def pay_chunk(session: Session, req: BulkRequest, lines: Sequence[Any]) -> ChunkResult:
    """Pay one chunk of payees (the lines still pending, as ``pending_lines`` reads them):
    own-bank credits and other-bank sends through suspense, each with its own idempotency
    key; refusals come back.

    Every posting goes through the ledger's ``post_payouts`` (one call for the chunk's
    payments, one for its returns: each payee its own entry out of suspense); the other-bank
    payees leave as one clearing batch; the lines change state with one UPDATE per outcome."""
    suspense, clearing_book = book(session, "suspense"), book(session, "clearing")
    remitter = f"ﾌﾘｺﾐ {req.remitter_kana}"[:48]
    prefix, memo, value_date = f"bulk:{req.id}:line:", f"bulk {req.id}", req.value_date
    payouts: list[Payout] = []
    paying: list[Any] = []
    returned_lines: list[Any] = []
    for x in lines:
        text = f"ﾌﾘｺﾐ {x.payee_kana}"[:48]
        if x.own_bank:
            target = x.target
            if target is None:
                returned_lines.append(x)
                continue
            payouts.append(Payout("bulk_credit", f"{prefix}{x.line_no}", target, x.amount,
                                  text, remitter))
        else:
            payouts.append(Payout("bulk_clearing", f"{prefix}{x.line_no}", clearing_book,
                                  x.amount, text, text))
        paying.append(x)
    result = post_payouts(session, suspense, payouts, memo=memo, value_date=value_date,
                          actor=ACTOR, shared=(clearing_book,))
    credited, sent_lines = [], []
    refused = result.refused
    for index, x in enumerate(paying):
        why = refused.get(index)
        if why is not None and why != "REPLAYED":
            returned_lines.append(x)   # the payee account cannot take the credit
        elif x.own_bank:
            credited.append(x)
        else:
            sent_lines.append(x)
    if returned_lines:
        # 振込不能: the amount goes back to the paying account; the fee is not refunded.
        post_payouts(session, suspense, [
            Payout("bulk_return", f"bulk:{req.id}:return:{x.line_no}", req.debit_account_id,
                   x.amount, "ﾌﾘｺﾐﾌﾉｳ", "ﾌﾘｺﾐ ｶｴﾘｷﾝ") for x in returned_lines],
            memo=memo, value_date=value_date, actor=ACTOR)
    _send_other_banks(session, req, sent_lines)
    outcomes = [(LineState.CREDITED, credited, None), (LineState.SENT, sent_lines, None),
                (LineState.RETURNED, returned_lines, "振込不能（口座なし等） / unpayable")]
    alike = [o for o in outcomes if o[1]]
    if len(alike) == 1:
        # The whole chunk has one outcome (the usual case). ``lines`` are all the pending
        # lines from the first to the last of them (pending_lines, read in this transaction;
        # the request is held against a recall), so the same rows are matched by that range
        # of the (request_id, line_no) key as by 5,000 ids, for a fraction of the cost.
        state, _, why = alike[0]
        lt = table_of(BulkLine)
        session.execute(update(lt).where(
            lt.c.request_id == req.id, lt.c.line_no.between(lines[0].line_no, lines[-1].line_no),
            lt.c.state == LineState.PENDING.value).values(state=state.value, reason=why))
    else:
        _mark_lines(session, outcomes)
    return ChunkResult(len(credited), len(sent_lines), len(returned_lines))


def _send_other_banks(session: Session, req: BulkRequest, lines: Sequence[Any]) -> None:
    """The chunk's other-bank payees handed to clearing as one batch (one outbox message):
    one message and transaction per payee cut a run with 10 % other-bank payees six-fold."""
    from kinko.clearing import service as clearing

    remitter = req.remitter_kana[:30]
    clearing.send_outgoing_many(session, [clearing.OutgoingRequest(
        transfer_ref=f"bulk:{req.id}:{x.line_no}", bank_code=x.bank_code,
        branch_code=x.branch_code, account_type=_deposit_type(x.account_type),
        number=x.account_number, holder_kana=x.payee_kana, amount=x.amount,
        remitter_kana=remitter, edi=x.edi) for x in lines])


def _mark_lines(session: Session,
                outcomes: Iterable[tuple[LineState, Sequence[Any], str | None]], *,
                frm: Sequence[LineState] = (LineState.PENDING,)) -> None:
    """One UPDATE per outcome, only from the states expected (a line is paid once)."""
    lt = table_of(BulkLine)
    for state, group, why in outcomes:
        if group:
            session.execute(update(lt).where(_any_of(session, lt.c.id, [x.id for x in group],
                                                     BigInteger),
                                             lt.c.state.in_([f.value for f in frm]))
                            .values(state=state.value, reason=why))


def _deposit_type(zengin_type: str) -> str:
    return {"1": "ordinary", "2": "checking", "4": "savings"}.get(zengin_type, "other")


@handler(LINES_TOPIC)
def lines_due(session: Session, payload: dict[str, Any]) -> None:
    """Pay one chunk. The request row is held FOR KEY SHARE: chunks of the same request run
    side by side, while a recall (FOR UPDATE) waits for them and they for it, so a chunk and
    a recall never interleave. A message without ``to`` (enqueued before chunks were counted)
    pays the next ``CHUNK`` pending lines and enqueues the next, as runs always did."""
    req = session.get(BulkRequest, payload["request_id"], with_for_update={"key_share": True})
    if req is None or req.state is not BulkState.EXECUTING:
        return
    first, last = int(payload.get("from", 1)), payload.get("to")
    with _collector_paused():
        # A chunk makes tens of thousands of short-lived objects and no cycles; without the
        # pause the collector walked them over and over (a large share of the chunk's CPU).
        lines = pending_lines(session, req.id, CHUNK, first,
                              None if last is None else int(last))
        done = pay_chunk(session, req, lines)
    record(session, actor=ACTOR, action="bulk.chunk", subject_type="bulk_request",
           subject_id=req.id, data={"from": lines[0].line_no if lines else None,
                                    "credited": done.credited, "sent": done.sent,
                                    "returned": done.returned})
    if last is None and len(lines) == CHUNK:
        nxt = lines[-1].line_no + 1
        enqueue(session, LINES_TOPIC, {"request_id": req.id, "from": nxt},
                dedupe_key=f"{LINES_TOPIC}:{req.id}:{nxt}")
        return
    if last is not None:
        # The count down is the chunk's last statement: a chunk finishing at the same time
        # waits here only for the other's commit (a no-key UPDATE does not conflict with the
        # other chunks' KEY SHARE).
        t = table_of(BulkRequest)
        left = session.execute(update(t).where(t.c.id == req.id)
                               .values(chunks_left=t.c.chunks_left - 1)
                               .returning(t.c.chunks_left)).scalar_one()
        if left > 0:
            return
    if _transition(session, req, (BulkState.EXECUTING,), BulkState.EXECUTED,
                   finished_at=clock.now()):
        record(session, actor=ACTOR, action="bulk.executed", subject_type="bulk_request",
               subject_id=req.id)
        _mail(session, req, "bulk.executed", req.maker_user_id)


def returned_from_network(session: Session, payload: dict[str, Any]) -> None:
    """The other bank sent a payee back (unpayable): the amount returns, the fee stays."""
    _, request_id, line_no = payload["transfer_ref"].split(":")
    line = session.execute(select(BulkLine).where(
        BulkLine.request_id == int(request_id), BulkLine.line_no == int(line_no))
        .with_for_update()).scalar_one_or_none()
    req = session.get(BulkRequest, int(request_id))
    if line is None or req is None or line.state is not LineState.SENT:
        return
    post(session, EntryRequest(
        kind="bulk_return", memo=f"bulk {req.id} return", value_date=clock.today(),
        idempotency_key=f"bulk:{req.id}:return:{line.line_no}",
        legs=[Leg(book(session, "clearing"), -line.amount, "ｸﾐﾓﾄﾞｼ"),
              Leg(req.debit_account_id, line.amount, "ﾌﾘｺﾐ ｶｴﾘｷﾝ")]), actor="system:clearing")
    line.state, line.reason = LineState.RETURNED, str(payload.get("reason", ""))[:120]
    record(session, actor="system:clearing", action="bulk.line_returned",
           subject_type="bulk_request", subject_id=req.id,
           data={"line": line.line_no, "reason": payload.get("reason_code")})


transfers.RETURN_HANDLERS["bulk:"] = returned_from_network


# --- results ---------------------------------------------------------------------------------

def result_counts(session: Session, req: BulkRequest) -> dict[str, dict[str, int]]:
    rows = session.execute(select(BulkLine.state, func.count(), func.coalesce(func.sum(
        BulkLine.amount), 0)).where(BulkLine.request_id == req.id).group_by(BulkLine.state))
    return {LineState(s).value: {"count": int(c), "amount": int(a)} for s, c, a in rows}


def result_csv(session: Session, actor: Actor, request_id: int) -> str:
    import csv
    import io

    req = get(session, actor, request_id)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["明細番号/line", "銀行番号/bank", "支店番号/branch", "預金種目/type",
                "口座番号/number", "受取人名/payee", "金額/amount", "手数料/fee", "結果/state",
                "理由/reason"])
    for x in lines_of(session, req, limit=rules.MAX_PAYEES):
        w.writerow([x.line_no, x.bank_code, x.branch_code, x.account_type, x.account_number,
                    x.payee_kana, x.amount, x.fee, x.state.value, x.reason or ""])
    return out.getvalue()


def result_zengin(session: Session, actor: Actor, request_id: int) -> bytes:
    """The payees as a Zengin file of the request's kind (21 / 11 / 12), each line's
    新規コード kept "0"; returned payees are left out (they were not paid)."""
    from kinko.zengin.writer import build_file, build_group, write

    req = get(session, actor, request_id)
    account = session.get(Account, req.debit_account_id)
    assert account is not None
    settings = get_settings()
    paid = [x for x in lines_of(session, req, limit=rules.MAX_PAYEES)
            if x.state not in (LineState.RETURNED, LineState.RECALLED)]
    name = req.remitter_kana[:40]
    if req.kind is BulkKind.BULK:
        header: zr.Record = zr.TransferHeader(
            originator_code=f"{req.contract_id:010d}", originator_name=name,
            value_date=req.value_date, bank_code=settings.bank_code,
            branch_code=account.branch_code, account_type="1", account_number=account.number)
        data: list[zr.Record] = [zr.TransferData(
            bank_code=x.bank_code, branch_code=x.branch_code, account_type=x.account_type,
            account_number=x.account_number, payee_name=x.payee_kana, amount=x.amount,
            edi_flag=bool(x.edi), edi_info=x.edi or "") for x in paid]
    else:
        header = zr.PayrollHeader(
            type_code="11" if req.kind is BulkKind.PAYROLL else "12",
            company_code=f"{req.contract_id:010d}", company_name=name, value_date=req.value_date,
            bank_code=settings.bank_code, branch_code=account.branch_code, account_type="1",
            account_number=account.number)
        data = [zr.PayrollData(bank_code=x.bank_code, branch_code=x.branch_code,
                               account_type=x.account_type, account_number=x.account_number,
                               payee_name=x.payee_kana, amount=x.amount) for x in paid]
    return write(build_file([build_group(header, data)]),
                 Options(reference_date=req.value_date), normalize=True)


# --- payee master ------------------------------------------------------------------------------

def register_payee(session: Session, actor: Actor, *, kind: str, payee: rules.Payee
                   ) -> BulkPayee:
    """振込先マスタ: a payee with a kana name, its codes checked against the national list."""
    bkind = BulkKind.BULK if kind == "bulk" else BulkKind.PAYROLL
    entitlements.check(session, actor, service_of(bkind))
    _refuse(rules.check_payee(1, rules.Payee(payee.bank_code, payee.branch_code,
                                             payee.account_type, payee.account_number,
                                             payee.payee_kana, 1, payee.edi),
                              payroll=bkind is not BulkKind.BULK))
    _refuse(_code_problems(session, [payee]))
    row = BulkPayee(contract_id=actor.contract_id, kind=_mode_kind(bkind),
                    bank_code=payee.bank_code, branch_code=payee.branch_code,
                    account_type=payee.account_type, account_number=payee.account_number,
                    payee_kana=payee.payee_kana, edi=payee.edi, created_at=clock.now())
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        raise ValidationFailed(detail="this payee is registered already") from exc
    record(session, actor=actor.label, action="bulk.payee_registered", subject_type="contract",
           subject_id=actor.contract_id, data={"payee": row.id})
    return row


def payees(session: Session, actor: Actor, *, kind: str) -> list[BulkPayee]:
    bkind = BulkKind.BULK if kind == "bulk" else BulkKind.PAYROLL
    entitlements.check(session, actor, service_of(bkind))
    return list(session.execute(select(BulkPayee).where(
        BulkPayee.contract_id == actor.contract_id, BulkPayee.kind == _mode_kind(bkind))
        .order_by(BulkPayee.id)).scalars())


# --- mail -------------------------------------------------------------------------------------

def _mail(session: Session, req: BulkRequest, template: str, user_id: int, **data: Any) -> None:
    user = session.get(AuthUser, user_id)
    if user is None:
        return
    ja, en = KIND_NAMES[req.kind]
    notify(session, user, template,
           dedupe_key=f"{template}:{req.id}:{req.version}:{user_id}:{data.get('step', '')}",
           reference=f"B{req.id:010d}", kind_ja=ja, kind_en=en,
           value_date=req.value_date.isoformat(), count=req.count, amount=req.total,
           fee=req.fee_total, **data)


def details_json(req: BulkRequest) -> str:
    return json.dumps(signed_details(req), ensure_ascii=False, sort_keys=True)


_ = timedelta  # (kept for readers: cutoffs are business-day based, never plain days)
