"""Evidence from Kinko's own records, and the case document built from it (CLM-5, CLM-9).

The ledger and the instructions give the transactions with their fees and whether any money
came back (returned or recalled transfers: CLM-9's repayment from the target deposit); the
accounts tell whether a payee is the customer's own; the authentication records give the
security posture before the theft, the logins around it and the notices the bank sent.
What Kinko cannot know comes from the operator's :class:`~kinko.claims.findings.Findings`.
The case is the same document `kinko claims evaluate` takes, so both decide by one engine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kinko import clock
from kinko.auth.models import (
    AuthContract,
    AuthSecret,
    AuthSecretHistory,
    AuthSession,
    AuthUser,
    OtpToken,
    SecretKind,
)
from kinko.claims.case import Case, Payee, parse_case
from kinko.claims.findings import Findings
from kinko.claims.models import Claim, ClaimTransaction, CompensationYear
from kinko.instructions.models import Instruction, InstructionStatus
from kinko.ledger.repository import find_account
from kinko.notifications.service import EMAIL_TOPIC
from kinko.outbox.models import OutboxMessage
from kinko.parties.models import Customer
from kinko.policy.model import CompensationPolicy

# Logins shown around the theft: from a week before it to the notification.
LOGIN_LOOKBACK = timedelta(days=7)
# Notices shown: those sent in the 180 days before the notification.
NOTICE_LOOKBACK = timedelta(days=180)
REFUNDED_STATES = (InstructionStatus.RETURNED, InstructionStatus.RECALLED)


@dataclass(frozen=True)
class TxEvidence:
    instruction_id: int
    date: date
    amount: int
    fee: int
    interest: int
    status: str
    payee_bank: str
    payee_branch: str
    payee_number: str
    payee_holder: str
    payee: Payee           # the class used in the case (the operator's, else Kinko's)
    payee_basis: str       # why
    refunded: int          # came back to the customer (returned / recalled)


@dataclass(frozen=True)
class Posture:
    otp_in_use: bool
    smartphone_auth: bool
    prescribed_measures: bool
    password_changed_on: date | None
    reference_date: date


@dataclass(frozen=True)
class LoginEvidence:
    at: datetime
    user_id: int
    channel: str
    method: str
    ip: str | None
    place: str | None
    user_agent: str | None


@dataclass(frozen=True)
class NoticeEvidence:
    at: datetime
    template: str


@dataclass(frozen=True)
class Evidence:
    transactions: list[TxEvidence]
    posture: Posture
    logins: list[LoginEvidence]
    notices: list[NoticeEvidence]
    cap_year: int
    already_compensated_this_year: int
    refunded_to_customer: int


def cap_year(day: date, basis: str) -> int:
    """The year of the annual cap a day falls in: calendar, or fiscal from 1 April."""
    if basis == "fiscal":
        return day.year if day.month >= 4 else day.year - 1
    return day.year


def _jst_date(moment: datetime) -> date:
    return clock.to_jst(moment).date()


def claimed_instructions(session: Session, claim_id: int) -> list[tuple[ClaimTransaction,
                                                                        Instruction]]:
    rows = session.execute(
        select(ClaimTransaction, Instruction)
        .join(Instruction, Instruction.id == ClaimTransaction.instruction_id)
        .where(ClaimTransaction.claim_id == claim_id)
        .order_by(Instruction.value_date, Instruction.id)).all()
    return [(ct, ins) for ct, ins in rows]


def _classify(session: Session, customer: Customer, details: dict[str, Any]
              ) -> tuple[Payee, str]:
    """Kinko's own view of a payee: an account of this customer at this bank, or one in the
    customer's own name at another bank, is ``own_account``; anything else a third party
    unless the operator says otherwise."""
    payee = details.get("payee", {})
    if payee.get("own_bank"):
        account = find_account(session, str(payee.get("branch", "")),
                               str(payee.get("number", "")))
        if account is not None and account.customer_id == customer.id:
            return Payee.OWN_ACCOUNT, "an account of the customer at this bank"
    if payee.get("holder") and payee.get("holder") == customer.name_kana:
        return Payee.OWN_ACCOUNT, "the payee's name is the customer's own"
    return Payee.THIRD_PARTY, "an account not in the customer's name"


def _password_changed_on(session: Session, user_ids: list[int], reference: date
                         ) -> date | None:
    """The last password change on or before the reference day, over the contract's users."""
    moments: list[datetime] = []
    for model in (AuthSecret, AuthSecretHistory):
        moments += session.execute(select(model.set_at).where(
            model.user_id.in_(user_ids), model.kind == SecretKind.LOGIN_PASSWORD)).scalars().all()
    days = [d for d in (_jst_date(m) for m in moments) if d <= reference]
    return max(days) if days else None


def gather(session: Session, claim: Claim, findings: Findings,
           policy: CompensationPolicy) -> Evidence:
    customer = session.get(Customer, claim.customer_id)
    contract = session.get(AuthContract, claim.contract_id)
    assert customer is not None and contract is not None
    txs: list[TxEvidence] = []
    for ct, ins in claimed_instructions(session, claim.id):
        details = json.loads(ins.details)
        kinko_class, basis = _classify(session, customer, details)
        chosen = findings.payees.get(str(ins.id))
        if chosen is not None and chosen is not kinko_class:
            basis = f"operator: {ct.payee_note or 'recorded in the findings'} " \
                    f"(Kinko's records: {basis})"
        payee = details.get("payee", {})
        txs.append(TxEvidence(
            instruction_id=ins.id, date=ins.value_date, amount=ins.amount, fee=ins.fee,
            interest=0, status=ins.status.value, payee_bank=str(payee.get("bank", "")),
            payee_branch=str(payee.get("branch", "")),
            payee_number=str(payee.get("number", "")),
            payee_holder=str(payee.get("holder", "")), payee=chosen or kinko_class,
            payee_basis=basis,
            refunded=ins.amount if ins.status in REFUNDED_STATES else 0))
    first = min((t.date for t in txs), default=claim.notified_on)
    reference = claim.stolen_on or first
    users = session.execute(select(AuthUser.id).where(
        AuthUser.contract_id == contract.id)).scalars().all()
    user_ids = list(users)
    otp = session.execute(select(OtpToken.id).where(
        OtpToken.contract_id == contract.id,
        OtpToken.issued_at < datetime.combine(reference + timedelta(days=1), time.min,
                                              clock.JST)).limit(1)).first() is not None
    otp_in_use = bool(contract.token_kind) and otp
    posture = Posture(otp_in_use=otp_in_use, smartphone_auth=contract.smartphone_auth,
                      prescribed_measures=otp_in_use or contract.smartphone_auth,
                      password_changed_on=_password_changed_on(session, user_ids, reference),
                      reference_date=reference)
    start = datetime.combine(reference, time.min, clock.JST) - LOGIN_LOOKBACK
    end = datetime.combine(claim.notified_on + timedelta(days=1), time.min, clock.JST)
    logins = [LoginEvidence(at=s.created_at, user_id=s.user_id, channel=s.channel,
                            method=s.login_method, ip=s.ip, place=s.place,
                            user_agent=s.user_agent)
              for s in session.execute(select(AuthSession).where(
                  AuthSession.user_id.in_(user_ids), AuthSession.created_at >= start,
                  AuthSession.created_at < end).order_by(AuthSession.created_at)
                  .limit(200)).scalars()]
    notices = _notices(session, user_ids, end)
    year = cap_year(claim.notified_on, policy.cap_year_basis)
    used = session.execute(select(CompensationYear.total).where(
        CompensationYear.customer_id == claim.customer_id,
        CompensationYear.year == year)).scalar_one_or_none() or 0
    return Evidence(transactions=txs, posture=posture, logins=logins, notices=notices,
                    cap_year=year, already_compensated_this_year=used,
                    refunded_to_customer=sum(t.refunded for t in txs))


def _notices(session: Session, user_ids: list[int], end: datetime) -> list[NoticeEvidence]:
    """E-mail notices the bank sent these users (security notices and warnings)."""
    rows = session.execute(select(OutboxMessage.created_at, OutboxMessage.payload).where(
        OutboxMessage.topic == EMAIL_TOPIC, OutboxMessage.created_at >= end - NOTICE_LOOKBACK,
        OutboxMessage.created_at <= end).order_by(OutboxMessage.created_at)
        .limit(2000)).all()
    wanted = set(user_ids)
    out = []
    for created_at, payload in rows:
        data = json.loads(payload)
        if data.get("user_id") in wanted:
            out.append(NoticeEvidence(at=created_at, template=str(data.get("template", ""))))
    return out[-100:]


def case_document(claim: Claim, evidence: Evidence, findings: Findings) -> dict[str, Any]:
    """The case of ``claim``: Kinko's records plus the operator's findings."""
    return {
        "product": claim.product,
        "notified_on": claim.notified_on.isoformat(),
        "noticed_on": claim.noticed_on.isoformat(),
        "stolen_on": claim.stolen_on.isoformat() if claim.stolen_on else None,
        "unavoidable_delay_days": claim.unavoidable_delay_days,
        "conditions": findings.conditions.model_dump(),
        "customer_fault": findings.customer_fault.value,
        "perpetrator_relation": findings.perpetrator_relation.value,
        "false_statement": findings.false_statement,
        "social_disorder": findings.social_disorder,
        "bank_at_fault": findings.bank_at_fault,
        "pc_lent_or_pledged": findings.pc_lent_or_pledged,
        "breach_of_bank_rules": findings.breach_of_bank_rules,
        "security": {
            "prescribed_measures": evidence.posture.prescribed_measures,
            "software_updated": findings.software_updated,
            "password_changed_on": (evidence.posture.password_changed_on.isoformat()
                                    if evidence.posture.password_changed_on else None),
        },
        "transactions": [
            {"id": str(t.instruction_id), "date": t.date.isoformat(), "amount": t.amount,
             "fee": t.fee, "interest": t.interest, "payee": t.payee.value}
            for t in evidence.transactions],
        "already_compensated_this_year": evidence.already_compensated_this_year,
        "refunded_to_customer": evidence.refunded_to_customer,
        "recovered_from_perpetrator": findings.recovered_from_perpetrator,
    }


def build_case(claim: Claim, evidence: Evidence, findings: Findings) -> Case:
    return parse_case(case_document(claim, evidence, findings))

