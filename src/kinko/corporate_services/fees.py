"""Monthly base fee (FEE-1, 002 第6条): per course, debited from the representative account on
the bank's day, through the ledger; no receipt is issued for it (第6条4).

The fee of a month is the one in force on its debit day (``policy_at``), so a fee change
announced with an effective date applies from the first debit on or after that date. The
debit day is the policy's day of the month, moved to the next business day when the bank is
closed. A short representative account leaves the month unpaid; the daily run tries again,
and the contract review counts unpaid fees (CTR-2).

When a month's fee is debited, the contract gets a 手数料のお知らせ (EDOC-1): the base fee and
the direct debit and collection fees taken from the settlements of the month before. It is a
notice, not a receipt (第6条4), delivered as the contract's switch says (electronic: listed
for the retention period).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.service import record
from kinko.auth.models import AuthContract, ContractState, Product
from kinko.calendar import get_calendar
from kinko.corporate_services import access, edelivery
from kinko.corporate_services.dates import add_months
from kinko.corporate_services.models import (
    AgreementKind,
    BatchState,
    ChargeState,
    DebitAgreement,
    DebitBatch,
    DocumentKind,
    FeeCharge,
    IssuedDocument,
)
from kinko.errors import DomainError
from kinko.ledger.books import book, ensure_books
from kinko.ledger.models import Account
from kinko.ledger.rules import Leg
from kinko.ledger.service import EntryRequest, post
from kinko.policy import policy_at

DESCRIPTION = "ｹﾞﾂｶﾞｸｷﾎﾝﾘﾖｳ"   # 月額基本料, on the statement


@dataclass(frozen=True)
class FeeRun:
    charged: int
    paid: int
    unpaid: int


def debit_day(year: int, month: int, at: datetime) -> date:
    """This month's debit day: the policy's day, or the next business day."""
    day = policy_at(at).fees.monthly_fee_debit_day
    return get_calendar(at).this_or_next_business_day(date(year, month, day))


def fee_for(course: str, at: datetime) -> int:
    fees = policy_at(at).fees.monthly_base_fee
    return int(getattr(fees, course))


def _try(session: Session, charge: FeeCharge, contract: AuthContract, actor: str) -> bool:
    if contract.representative_account_id is None:
        return False
    ensure_books(session, actor=actor)
    try:
        with session.begin_nested():
            entry = post(session, EntryRequest(
                kind="monthly_fee", memo=f"base fee {charge.month:%Y-%m}",
                legs=[Leg(contract.representative_account_id, -charge.amount, DESCRIPTION),
                      Leg(book(session, "fee_income"), charge.amount)],
                idempotency_key=f"fee:{contract.id}:{charge.month:%Y-%m}"), actor=actor)
    except DomainError:
        return False
    charge.state, charge.paid_on, charge.entry_id = ChargeState.PAID, clock.today(), \
        entry.entry_id
    fee_notice(session, charge, contract)
    return True


COURSE_JA = {"light": "ライト", "basic": "ベーシック", "comprehensive": "総合"}


def settled_fees(session: Session, contract_id: int, start: date, stop: date
                 ) -> dict[AgreementKind, tuple[int, int]]:
    """(debits collected, fees) of the contract's direct debit and collection settlements
    paid from ``start`` to before ``stop``, by kind."""
    rows = session.execute(
        select(DebitAgreement.kind, func.sum(DebitBatch.collected_count),
               func.sum(DebitBatch.fee_total))
        .join(DebitAgreement, DebitAgreement.id == DebitBatch.agreement_id)
        .where(DebitAgreement.contract_id == contract_id,
               DebitBatch.state == BatchState.SETTLED,
               DebitBatch.settlement_date >= start, DebitBatch.settlement_date < stop)
        .group_by(DebitAgreement.kind))
    return {kind: (int(count or 0), int(total or 0)) for kind, count, total in rows}


def fee_notice(session: Session, charge: FeeCharge, contract: AuthContract) -> IssuedDocument:
    """The month's 手数料のお知らせ (once per contract and month)."""
    previous = add_months(charge.month, -1)
    others = settled_fees(session, contract.id, previous, charge.month)
    account = None if contract.representative_account_id is None else session.get(
        Account, contract.representative_account_id)
    table = [["項目", "件数", "金額"],
             [f"月間基本料（{COURSE_JA.get(charge.course, charge.course)}コース）"
              f" {charge.month:%Y年%m月}分", "", f"{charge.amount:,}円"]]
    for kind, label in ((AgreementKind.DIRECT_DEBIT, "口座振替 引落手数料"),
                        (AgreementKind.COLLECTION, "代金回収 手数料")):
        if kind in others:
            count, fee = others[kind]
            table.append([f"{label}（{previous:%Y年%m月}入金分・入金額から差引済）",
                          f"{count:,}件", f"{fee:,}円"])
    total = charge.amount + sum(fee for _, fee in others.values())
    table.append(["合計", "", f"{total:,}円"])
    return edelivery.issue(
        session, contract_id=contract.id, kind=DocumentKind.FEE_NOTICE,
        title=f"手数料のお知らせ {charge.month:%Y年%m月}",
        body=[f"引落日 {charge.paid_on}",
              "引落口座 " + (f"{account.branch_code}-{account.number}" if account else "—"),
              "本書は領収書ではありません（当行は手数料の領収書を発行しません）。"],
        table=table, account_id=contract.representative_account_id,
        source=f"fee-notice:{contract.id}:{charge.month:%Y-%m}")


def charge_due(session: Session, *, actor: str = "system:batch") -> FeeRun:
    """Charge this month's fee of every active corporate contract whose debit day has come,
    and retry the unpaid charges of earlier days."""
    now = clock.now()
    today = now.date()
    month = today.replace(day=1)
    charged = paid = 0
    if today >= debit_day(today.year, today.month, now):
        contracts = session.execute(select(AuthContract).where(
            AuthContract.product == Product.CORPORATE_002,
            AuthContract.state == ContractState.ACTIVE,
            AuthContract.created_at < now)).scalars().all()
        done = set(session.execute(select(FeeCharge.contract_id).where(
            FeeCharge.month == month)).scalars())
        for contract in contracts:
            course = access.course_of(contract)
            amount = 0 if contract.id in done or course is None else fee_for(course, now)
            if amount == 0:
                continue
            assert course is not None
            charge = FeeCharge(contract_id=contract.id, month=month, course=course,
                               amount=amount, state=ChargeState.UNPAID, due_on=today)
            session.add(charge)
            session.flush()
            charged += 1
            paid += _try(session, charge, contract, actor)
            record(session, actor=actor, action="fee.charge", subject_type="contract",
                   subject_id=contract.id, data={"month": f"{month:%Y-%m}", "amount": amount,
                                                 "state": charge.state.value})
    for charge in session.execute(select(FeeCharge).where(
            FeeCharge.state == ChargeState.UNPAID, FeeCharge.due_on < today)).scalars().all():
        owner = session.get(AuthContract, charge.contract_id)
        if owner is not None and _try(session, charge, owner, actor):
            paid += 1
            record(session, actor=actor, action="fee.paid_late", subject_type="contract",
                   subject_id=owner.id, data={"month": f"{charge.month:%Y-%m}"})
    unpaid = len(session.execute(select(FeeCharge.id).where(
        FeeCharge.state == ChargeState.UNPAID)).all())
    session.flush()
    return FeeRun(charged, paid, unpaid)


def charges_of(session: Session, contract_id: int) -> list[FeeCharge]:
    return list(session.execute(select(FeeCharge).where(FeeCharge.contract_id == contract_id)
                                .order_by(FeeCharge.month.desc())).scalars())
