"""Local tax payment (TAX-1, 002 第5条8): special-collection local taxes paid to municipalities.

- Payment day: the 10th of the month (policy), the next business day when the bank is closed.
- Requests by form or file until 14:00 three business days before (policy cutoff); cancellable
  until the same cutoff, never after it.
- Funds: the total and the 納付手数料 are taken from the representative account on the business
  day before the payment day (policy); a short account leaves the request unpaid (failed).
- On the payment day the total goes to the municipalities (through the clearing book); the
  領収証書 is issued as a PDF from the next business day after payment (EDOC-1 delivers it).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.service import record
from kinko.calendar import get_calendar
from kinko.catalogue import reason
from kinko.corporate_services import access, edelivery, notices
from kinko.corporate_services.errors import (
    CutoffPassed,
    PaymentNotFound,
    ReceiptNotYet,
    TaxRequestInvalid,
)
from kinko.corporate_services.models import DocumentKind, TaxLine, TaxPayment, TaxState
from kinko.corporate_services.municipalities import name_of
from kinko.errors import DomainError
from kinko.instructions.service import Actor
from kinko.ledger.books import book, ensure_books
from kinko.ledger.rules import Leg
from kinko.ledger.service import EntryRequest, post
from kinko.money import MAX_AMOUNT
from kinko.policy import policy_at

MAX_LINES = 1_000


@dataclass(frozen=True)
class LineIn:
    municipality_code: str
    designation_number: str
    tax_month: date
    employees: int
    amount: int


@dataclass(frozen=True)
class Schedule:
    payment: date
    cutoff: datetime
    funding: date
    receipt: date


def schedule(year: int, month: int, at: datetime) -> Schedule:
    """The payment day of a month and the days around it, by the policy in force ``at``."""
    policy = policy_at(at).local_tax
    calendar = get_calendar(at)
    payment = calendar.this_or_next_business_day(date(year, month, policy.payment_day_of_month))
    funding = payment
    for _ in range(policy.funding_business_days_before):
        funding = calendar.previous_business_day(funding)
    cutoff = calendar.deadline(payment, policy.request_cutoff.business_days_before,
                               policy.request_cutoff.at)
    return Schedule(payment, cutoff, funding,
                    calendar.add_business_days(payment, policy.receipt_business_days_after))


def _problem(line: int, field: str, ja: str, en: str) -> dict[str, object]:
    return {"line": line, "field": field, "reason_ja": ja, "reason_en": en}


def check_lines(lines: list[LineIn]) -> None:
    """Every problem of the lines, numbered from 1, or nothing."""
    problems = []
    if not 1 <= len(lines) <= MAX_LINES:
        problems.append(_problem(0, "lines", *reason("1〜{n} 件です", n=MAX_LINES)))
    for n, line in enumerate(lines, start=1):
        if name_of(line.municipality_code) is None:
            problems.append(_problem(n, "municipality_code",
                                     *reason("当行で納付できない地方公共団体です")))
        if not (line.designation_number.isascii() and line.designation_number.isalnum()
                and 1 <= len(line.designation_number) <= 20):
            problems.append(_problem(n, "designation_number",
                                     *reason("指定番号は英数字 20 桁以内です")))
        if not 0 < line.amount <= MAX_AMOUNT:
            problems.append(_problem(n, "amount", *reason("税額は 1 円以上です")))
        if not 0 <= line.employees <= 999_999:
            problems.append(_problem(n, "employees", *reason("人員が正しくありません")))
    if problems:
        raise TaxRequestInvalid(detail=f"{len(problems)} problems", errors=problems)


def parse_file(data: bytes) -> list[LineIn]:
    """The CSV form: ``municipality_code,designation_number,tax_month(YYYY-MM),employees,
    amount`` per line (UTF-8 or Shift_JIS, an optional header line)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp932")
        except UnicodeDecodeError:
            raise TaxRequestInvalid(detail="not UTF-8 or Shift_JIS text", errors=[
                _problem(0, "file", *reason("文字コードが読めません"))]) from None
    lines, problems = [], []
    for n, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or (n == 1 and not row[0].strip().isdigit()):
            continue
        if len(row) != 5:
            problems.append(_problem(n, "columns", *reason("5 項目が必要です")))
            continue
        code, number, month, employees, amount = (c.strip() for c in row)
        try:
            tax_month = date.fromisoformat(f"{month}-01")
        except ValueError:
            problems.append(_problem(n, "tax_month", *reason("年月は YYYY-MM です")))
            continue
        if not (employees.isdigit() and amount.isdigit() and len(amount) <= 15):
            problems.append(_problem(n, "amount", *reason("人員と税額は数字です")))
            continue
        lines.append(LineIn(code, number, tax_month, int(employees), int(amount)))
    if problems:
        raise TaxRequestInvalid(detail=f"{len(problems)} problems", errors=problems)
    return lines


def request(session: Session, actor: Actor, *, year: int, month: int,
            lines: list[LineIn]) -> TaxPayment:
    """File a payment for the month's payment day (before the cutoff)."""
    contract = access.contract_of(session, actor)
    access.require_service(session, contract, access.Service.LOCAL_TAX)
    check_lines(lines)
    now = clock.now()
    when = schedule(year, month, now)
    if now > when.cutoff:
        raise CutoffPassed(detail=f"the cutoff was {when.cutoff:%Y-%m-%d %H:%M}")
    fee = policy_at(now).local_tax.fee_per_municipality * len(
        {line.municipality_code for line in lines})
    payment = TaxPayment(contract_id=contract.id, payment_date=when.payment,
                         funding_date=when.funding, receipt_date=when.receipt,
                         state=TaxState.ACCEPTED, total=sum(x.amount for x in lines), fee=fee,
                         requested_by=actor.user_id, requested_at=now)
    session.add(payment)
    session.flush()
    session.add_all(TaxLine(payment_id=payment.id, municipality_code=x.municipality_code,
                            designation_number=x.designation_number, tax_month=x.tax_month,
                            employees=x.employees, amount=x.amount) for x in lines)
    record(session, actor=f"user:{actor.user_id}", action="tax.request",
           subject_type="tax_payment", subject_id=payment.id,
           data={"payment_date": when.payment.isoformat(), "total": payment.total,
                 "fee": fee, "lines": len(lines)})
    session.flush()
    return payment


def own_payment(session: Session, actor: Actor, payment_id: int) -> TaxPayment:
    contract = access.contract_of(session, actor)
    payment = session.get(TaxPayment, payment_id)
    if payment is None or payment.contract_id != contract.id:
        raise PaymentNotFound(detail=f"payment {payment_id}")
    return payment


def payments_of(session: Session, actor: Actor, limit: int = 50) -> list[TaxPayment]:
    contract = access.contract_of(session, actor)
    return list(session.execute(select(TaxPayment).where(TaxPayment.contract_id == contract.id)
                                .order_by(TaxPayment.id.desc()).limit(limit)).scalars())


def lines_of(session: Session, payment_id: int) -> list[TaxLine]:
    return list(session.execute(select(TaxLine).where(TaxLine.payment_id == payment_id)
                                .order_by(TaxLine.id)).scalars())


def cancel(session: Session, actor: Actor, payment_id: int) -> TaxPayment:
    """Cancel until the request cutoff; after it, neither change nor cancel (第5条8(5))."""
    payment = own_payment(session, actor, payment_id)
    when = schedule(payment.payment_date.year, payment.payment_date.month,
                    payment.requested_at)
    if clock.now() > when.cutoff:
        raise CutoffPassed(detail=f"the cutoff was {when.cutoff:%Y-%m-%d %H:%M}")
    done = session.execute(update(TaxPayment).where(
        TaxPayment.id == payment.id, TaxPayment.state == TaxState.ACCEPTED
    ).values(state=TaxState.CANCELLED)).rowcount  # type: ignore[attr-defined]
    if not done:
        raise CutoffPassed(detail=f"payment {payment.id} is {payment.state.value}")
    record(session, actor=f"user:{actor.user_id}", action="tax.cancel",
           subject_type="tax_payment", subject_id=payment.id, data={})
    session.refresh(payment)
    return payment


def _fund(session: Session, payment: TaxPayment, actor: str) -> None:
    from kinko.auth.models import AuthContract

    contract = session.get(AuthContract, payment.contract_id)
    assert contract is not None
    legs = [Leg(book(session, "suspense"), payment.total)]
    if payment.fee:
        legs.append(Leg(book(session, "fee_income"), payment.fee))
    try:
        if contract.representative_account_id is None:
            raise PaymentNotFound(detail="no representative account")
        with session.begin_nested():
            entry = post(session, EntryRequest(
                kind="local_tax_funding", memo=f"local tax {payment.id}",
                legs=[Leg(contract.representative_account_id, -(payment.total + payment.fee),
                          "ﾁﾎｳｾﾞｲ ﾉｳﾌ"), *legs],
                idempotency_key=f"tax-fund:{payment.id}"), actor=actor)
    except DomainError as exc:
        payment.state = TaxState.FAILED
        notices.notify(session, payment.contract_id, "corporate.tax.failed",
                       {"reference": f"TX{payment.id:08d}", "amount": payment.total},
                       f"tax-failed-{payment.id}")
        record(session, actor=actor, action="tax.failed", subject_type="tax_payment",
               subject_id=payment.id, data={"reason": exc.code})
        return
    payment.state, payment.funding_entry_id = TaxState.FUNDED, entry.entry_id
    record(session, actor=actor, action="tax.funded", subject_type="tax_payment",
           subject_id=payment.id, data={"entry": entry.entry_id})


def _pay(session: Session, payment: TaxPayment, actor: str) -> None:
    entry = post(session, EntryRequest(
        kind="local_tax_payment", memo=f"local tax {payment.id}",
        legs=[Leg(book(session, "suspense"), -payment.total),
              Leg(book(session, "clearing"), payment.total)],
        idempotency_key=f"tax-pay:{payment.id}"), actor=actor)
    payment.state, payment.payment_entry_id = TaxState.PAID, entry.entry_id
    record(session, actor=actor, action="tax.paid", subject_type="tax_payment",
           subject_id=payment.id, data={"entry": entry.entry_id})


def _receipt(session: Session, payment: TaxPayment) -> None:
    lines = lines_of(session, payment.id)
    document = edelivery.issue(
        session, contract_id=payment.contract_id, kind=DocumentKind.RECEIPT,
        title=f"地方税 領収証書 {payment.payment_date:%Y年%m月%d日} 納付分",
        body=[f"納付日 {payment.payment_date}", f"納付額合計 {payment.total:,}円",
              "上記の金額を領収しました。"],
        table=[["市区町村", "指定番号", "対象月", "人員", "税額"]] + [
            [name_of(x.municipality_code) or x.municipality_code, x.designation_number,
             f"{x.tax_month:%Y-%m}", str(x.employees), f"{x.amount:,}円"] for x in lines],
        source=f"tax-receipt:{payment.id}")
    payment.receipt_document_id = document.id


def run_due(session: Session, *, actor: str = "system:batch") -> dict[str, int]:
    """Fund on the funding day, pay on the payment day, issue receipts from the receipt day."""
    today = clock.today()
    ensure_books(session, actor=actor)
    counts = {"funded": 0, "failed": 0, "paid": 0, "receipts": 0}
    for payment in session.execute(select(TaxPayment).where(
            TaxPayment.state == TaxState.ACCEPTED, TaxPayment.funding_date <= today)
            .with_for_update()).scalars().all():
        _fund(session, payment, actor)
        counts["funded" if payment.state is TaxState.FUNDED else "failed"] += 1
    for payment in session.execute(select(TaxPayment).where(
            TaxPayment.state == TaxState.FUNDED, TaxPayment.payment_date <= today)
            .with_for_update()).scalars().all():
        _pay(session, payment, actor)
        counts["paid"] += 1
    for payment in session.execute(select(TaxPayment).where(
            TaxPayment.state == TaxState.PAID, TaxPayment.receipt_date <= today,
            TaxPayment.receipt_document_id.is_(None)).with_for_update()).scalars().all():
        _receipt(session, payment)
        counts["receipts"] += 1
    session.flush()
    return counts


def receipt_pdf(session: Session, actor: Actor, payment_id: int) -> tuple[str, bytes]:
    """The 領収証書 from the next business day after payment (whatever the delivery switch:
    the receipt of one's own payment is always shown while kept)."""
    from kinko.corporate_services.models import IssuedDocument

    payment = own_payment(session, actor, payment_id)
    if payment.state is not TaxState.PAID or clock.today() < payment.receipt_date \
            or payment.receipt_document_id is None:
        raise ReceiptNotYet(detail=f"receipts from {payment.receipt_date}")
    document = session.get(IssuedDocument, payment.receipt_document_id)
    if document is None:
        raise PaymentNotFound(detail="the receipt is past the retention period")
    return f"tax_receipt_{payment.id}.pdf", document.pdf
