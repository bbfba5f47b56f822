"""The claims workflow (CLM-1..10, OPS-1, OPS-2): report → investigate → decide → pay.

A customer reports online (or an operator enters a phone call): the claim is received and the
service is stopped at once (CRED-6, :func:`kinko.auth.compromise.report`). A CLAIMS operator
investigates: Kinko's records are gathered (:mod:`kinko.claims.evidence`) and the operator
records what Kinko cannot know. The decision and the payment each need a second operator
(four eyes, :mod:`kinko.backoffice.approvals`); the approved action re-builds the case and
checks that nothing changed since it was asked for. Every step is audited. Services take a
session and never commit.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.service import canonical, record
from kinko.auth import compromise
from kinko.auth.effects import notify
from kinko.auth.models import AuthContract, AuthUser, CompromiseScope
from kinko.backoffice import approvals
from kinko.backoffice.actions import ActionSpec, register_action
from kinko.backoffice.models import ApprovalRequest, OperatorRole
from kinko.backoffice.operators import actor_of, require_role
from kinko.claims import evidence as ev
from kinko.claims import notices as _notices  # noqa: F401 - registers the claims notices
from kinko.claims.case import Case, Product
from kinko.claims.errors import (
    CapExceeded,
    ClaimNotFound,
    ClaimStateError,
    EvidenceChanged,
    InvalidClaim,
    TransactionAlreadyClaimed,
)
from kinko.claims.findings import PROVISIONAL, Findings
from kinko.claims.models import (
    Claim,
    ClaimKind,
    ClaimState,
    ClaimTransaction,
    CompensationYear,
)
from kinko.claims.profiles import Profile, profile_for
from kinko.claims.rules import Decision, allocate, decide, delay_damages
from kinko.db.base import table_of
from kinko.instructions.models import Instruction, InstructionStatus
from kinko.ledger.books import ensure_books
from kinko.ledger.models import Account
from kinko.ledger.rules import Leg
from kinko.ledger.service import EntryRequest, post
from kinko.policy import current_policy, policy_at
from kinko.policy.model import CompensationPolicy

CLAIMS_ROLES = frozenset({OperatorRole.CLAIMS})
MAX_TRANSACTIONS = 100
CLAIMABLE_STATES = (InstructionStatus.EXECUTED, InstructionStatus.RETURNED,
                    InstructionStatus.RECALLED)


@dataclass(frozen=True)
class Report:
    """What the customer (or the operator taking the call) reports."""

    noticed_on: date
    stolen_on: date | None
    instruction_ids: tuple[int, ...]
    police_report_ref: str = ""
    explanation: str = ""
    unavoidable_delay_days: int = 0
    delay_reason: str = ""


def _needs(payload: Any, *keys: str) -> None:
    missing = [k for k in keys if k not in payload]
    if missing:
        raise InvalidClaim(detail="payload needs: " + ", ".join(missing))


def policy_for(claim: Claim) -> CompensationPolicy:
    """The policy in force on the notification day decides the claim (POL-1)."""
    return policy_at(datetime.combine(claim.notified_on, time(12), clock.JST)).compensation


def claim_profile(contract_product: str) -> str:
    """The engine's product profile for a contract's product: retail products are their own
    seed; a corporate contract follows the policy's choice (002 第16条 or seed 004)."""
    if contract_product.startswith("corporate"):
        return current_policy().compensation.corporate_claims_profile
    return contract_product


def get_claim(session: Session, claim_id: int) -> Claim:
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise ClaimNotFound(detail=str(claim_id))
    return claim


def claim_of_customer(session: Session, customer_id: int, claim_id: int) -> Claim:
    """A claim of this customer; another customer's is simply not found."""
    claim = session.get(Claim, claim_id)
    if claim is None or claim.customer_id != customer_id:
        raise ClaimNotFound(detail=str(claim_id))
    return claim


def claims_of_customer(session: Session, customer_id: int) -> list[Claim]:
    return list(session.execute(select(Claim).where(Claim.customer_id == customer_id)
                                .order_by(Claim.id.desc()).limit(100)).scalars())


def claimable_transfers(session: Session, contract_id: int, *, limit: int = 200
                        ) -> list[Instruction]:
    """The statement a customer picks the unauthorized transfers from: executed transfers of
    the contract, newest first."""
    return list(session.execute(
        select(Instruction).where(Instruction.contract_id == contract_id,
                                  Instruction.kind == "transfer",
                                  Instruction.status.in_(CLAIMABLE_STATES))
        .order_by(Instruction.value_date.desc(), Instruction.id.desc()).limit(limit)).scalars())


def _check_report(session: Session, contract_id: int, report: Report) -> list[Instruction]:
    today = clock.today()
    if report.noticed_on > today:
        raise InvalidClaim(detail="noticed_on is in the future", fields=["noticed_on"])
    if report.stolen_on is not None and report.stolen_on > today:
        raise InvalidClaim(detail="stolen_on is in the future", fields=["stolen_on"])
    if not 0 <= report.unavoidable_delay_days <= 3650:
        raise InvalidClaim(detail="unavoidable_delay_days must be 0 to 3650",
                           fields=["unavoidable_delay_days"])
    if report.unavoidable_delay_days and not report.delay_reason.strip():
        raise InvalidClaim(detail="give the reason of the unavoidable delay",
                           fields=["delay_reason"])
    ids = sorted(set(report.instruction_ids))
    if not ids or len(ids) > MAX_TRANSACTIONS:
        raise InvalidClaim(detail=f"choose 1 to {MAX_TRANSACTIONS} transactions",
                           fields=["transactions"])
    found = list(session.execute(select(Instruction).where(
        Instruction.id.in_(ids), Instruction.contract_id == contract_id,
        Instruction.kind == "transfer", Instruction.status.in_(CLAIMABLE_STATES))).scalars())
    if len(found) != len(ids):
        raise InvalidClaim(detail="a chosen transaction is not an executed transfer of yours",
                           fields=["transactions"])
    taken = session.execute(
        select(ClaimTransaction.instruction_id).join(Claim, Claim.id == ClaimTransaction.claim_id)
        .where(ClaimTransaction.instruction_id.in_(ids),
               Claim.state != ClaimState.REJECTED).limit(1)).first()
    if taken is not None:
        raise TransactionAlreadyClaimed(detail=f"instruction {taken[0]}")
    return found


def report_fraud(session: Session, *, user_id: int, report: Report, channel: str,
                 actor: str) -> Claim:
    """Receive a claim and stop the service at once (CRED-6): the customer online
    (``channel`` web / api, ``actor`` the user) or an operator taking the call (phone)."""
    user = session.get(AuthUser, user_id)
    if user is None:
        raise InvalidClaim(detail=f"user {user_id}", fields=["user_id"])
    contract = session.get(AuthContract, user.contract_id)
    assert contract is not None
    _check_report(session, contract.id, report)
    # The stolen credentials may be any user's of the contract: everything stops.
    report_id = compromise.report(
        session, user_id=user.id, credential=compromise.Credential.PASSWORD,
        channel={"web": "web", "api": "app"}.get(channel, "phone"),
        scope=CompromiseScope.CONTRACT, note="unauthorized transfers reported (claim)",
        actor=actor)
    claim = Claim(kind=ClaimKind.FRAUD, state=ClaimState.RECEIVED, customer_id=user.customer_id,
                  contract_id=contract.id, user_id=user.id,
                  product=claim_profile(contract.product.value),
                  channel=channel, notified_on=clock.today(), noticed_on=report.noticed_on,
                  stolen_on=report.stolen_on,
                  unavoidable_delay_days=report.unavoidable_delay_days,
                  delay_reason=report.delay_reason[:500],
                  police_report_ref=report.police_report_ref[:60],
                  explanation=report.explanation[:4000], compromise_report_id=report_id,
                  reported_by=actor, created_at=clock.now())
    session.add(claim)
    session.flush()
    for instruction_id in sorted(set(report.instruction_ids)):
        session.add(ClaimTransaction(claim_id=claim.id, instruction_id=instruction_id))
    session.flush()
    record(session, actor=actor, action="claims.received", subject_type="claim",
           subject_id=claim.id, data={"kind": claim.kind.value, "channel": channel,
                                      "transactions": sorted(set(report.instruction_ids)),
                                      "compromise_report": report_id})
    _notify(session, claim, "claims.received")
    return claim


def report_processing_error(session: Session, *, operator_id: int, instruction_id: int,
                            delay_days: int, explanation: str) -> Claim:
    """CLM-10: the bank's own processing error delayed a payment; entered by an operator."""
    require_role(session, operator_id, CLAIMS_ROLES)
    instruction = session.get(Instruction, instruction_id)
    if instruction is None:
        raise InvalidClaim(detail=f"instruction {instruction_id}", fields=["instruction_id"])
    if not 1 <= delay_days <= 3650:
        raise InvalidClaim(detail="delay_days must be 1 to 3650", fields=["delay_days"])
    if not explanation.strip():
        raise InvalidClaim(detail="explain the processing error", fields=["explanation"])
    contract = session.get(AuthContract, instruction.contract_id)
    assert contract is not None
    actor = actor_of(operator_id)
    today = clock.today()
    claim = Claim(kind=ClaimKind.PROCESSING_ERROR, state=ClaimState.INVESTIGATING,
                  customer_id=instruction.customer_id, contract_id=contract.id,
                  user_id=instruction.user_id, product=contract.product.value,
                  channel="branch", notified_on=today, noticed_on=today, stolen_on=None,
                  explanation=explanation[:4000], delayed_amount=instruction.amount,
                  delay_days=delay_days, credit_account_id=instruction.debit_account_id,
                  reported_by=actor, created_at=clock.now())
    session.add(claim)
    session.flush()
    session.add(ClaimTransaction(claim_id=claim.id, instruction_id=instruction.id))
    record(session, actor=actor, action="claims.received", subject_type="claim",
           subject_id=claim.id, data={"kind": claim.kind.value, "instruction": instruction.id,
                                      "delay_days": delay_days})
    return claim


def _move(session: Session, claim: Claim, frm: tuple[ClaimState, ...], to: ClaimState,
          **values: Any) -> None:
    """Change the state exactly once (a racing second change finds nothing)."""
    t = table_of(Claim)
    done = session.execute(update(t).where(t.c.id == claim.id,
                                           t.c.state.in_([s.value for s in frm]))
                           .values(state=to.value, **values).returning(t.c.id)).one_or_none()
    session.expire(claim)
    if done is None:
        raise ClaimStateError(detail=f"claim {claim.id} is not {'/'.join(s.value for s in frm)}")


def _notify(session: Session, claim: Claim, template: str, **data: Any) -> None:
    """An e-mail to the customer's user who reported (queued; sent after the commit)."""
    user = session.get(AuthUser, claim.user_id) if claim.user_id is not None else None
    if user is not None:
        notify(session, user, template, dedupe_key=f"{template}:{claim.id}",
               claim_id=claim.id, **data)


def start_investigation(session: Session, *, claim_id: int, operator_id: int) -> Claim:
    require_role(session, operator_id, CLAIMS_ROLES)
    claim = get_claim(session, claim_id)
    _move(session, claim, (ClaimState.RECEIVED,), ClaimState.INVESTIGATING)
    record(session, actor=actor_of(operator_id), action="claims.investigating",
           subject_type="claim", subject_id=claim.id, data={})
    return claim


def findings_of(claim: Claim) -> Findings | None:
    return None if claim.findings is None else Findings.model_validate_json(claim.findings)


def record_findings(session: Session, *, claim_id: int, operator_id: int,
                    findings: dict[str, Any], note: str) -> Findings:
    """What Kinko cannot know, from the investigation, with the operator's note."""
    require_role(session, operator_id, CLAIMS_ROLES)
    claim = get_claim(session, claim_id)
    if claim.state is not ClaimState.INVESTIGATING or claim.kind is not ClaimKind.FRAUD:
        raise ClaimStateError(detail="findings are recorded while investigating a fraud claim")
    if not note.strip():
        raise InvalidClaim(detail="a note is required", fields=["note"])
    try:
        parsed = Findings.model_validate(findings)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidClaim(detail=f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}",
                           fields=[str(first["loc"][0])]) from None
    claimed = {str(ct.instruction_id): ct for ct, _ in ev.claimed_instructions(session, claim.id)}
    unknown = set(parsed.payees) - set(claimed)
    if unknown:
        raise InvalidClaim(detail=f"not in the claim: {sorted(unknown)}", fields=["payees"])
    for key, ct in claimed.items():
        chosen = parsed.payees.get(key)
        ct.payee_override = None if chosen is None else chosen.value
        ct.payee_note = "" if chosen is None else note[:500]
    claim.findings = canonical(parsed.model_dump(mode="json"))
    claim.findings_note = note[:4000]
    record(session, actor=actor_of(operator_id), action="claims.findings_recorded",
           subject_type="claim", subject_id=claim.id,
           data={"findings": parsed.model_dump(mode="json"), "note": note[:500]})
    return parsed


@dataclass(frozen=True)
class Assessment:
    """The engine's view of a claim now: evidence, case and decision (provisional until the
    operator has recorded findings)."""

    evidence: ev.Evidence | None
    case: dict[str, Any]
    decision: Decision
    provisional: bool


def assess(session: Session, claim: Claim) -> Assessment:
    policy = policy_for(claim)
    if claim.kind is ClaimKind.PROCESSING_ERROR:
        decision = delay_damages(claim.delayed_amount or 0, claim.delay_days or 0,
                                 policy.delay_damages_annual_rate_per_100k)
        case = {"kind": "processing_error", "delayed_amount": claim.delayed_amount,
                "delay_days": claim.delay_days,
                "annual_rate_per_100k": policy.delay_damages_annual_rate_per_100k}
        return Assessment(None, case, decision, provisional=False)
    findings = findings_of(claim)
    provisional = findings is None
    findings = findings or PROVISIONAL
    evidence = ev.gather(session, claim, findings, policy)
    case = ev.case_document(claim, evidence, findings)
    parsed: Case = ev.build_case(claim, evidence, findings)
    return Assessment(evidence, case, decide(parsed, policy), provisional)


def _digest(case: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(case).encode()).hexdigest()


def request_decision(session: Session, *, claim_id: int, operator_id: int,
                     reason: str) -> ApprovalRequest:
    """Ask a second operator to approve the engine's decision on the case as it is now."""
    require_role(session, operator_id, CLAIMS_ROLES)
    claim = get_claim(session, claim_id)
    if claim.state is not ClaimState.INVESTIGATING:
        raise ClaimStateError(detail="a claim is decided after investigation")
    if claim.kind is ClaimKind.FRAUD and claim.findings is None:
        raise InvalidClaim(detail="record the findings first", fields=["findings"])
    assessment = assess(session, claim)
    return approvals.request(
        session, action="claims.decide", subject_type="claim", subject_id=claim.id,
        payload={"claim_id": claim.id, "case_digest": _digest(assessment.case),
                 "compensation": assessment.decision.compensation},
        reason=reason, requested_by=operator_id)


def _execute_decision(session: Session, payload: dict[str, Any], *, actor: str,
                      request_id: int) -> dict[str, Any]:
    claim = get_claim(session, int(payload["claim_id"]))
    if claim.state is not ClaimState.INVESTIGATING:
        raise ClaimStateError(detail=f"claim {claim.id} is {claim.state.value}")
    assessment = assess(session, claim)
    if _digest(assessment.case) != payload["case_digest"]:
        raise EvidenceChanged(detail=f"claim {claim.id}")
    decision = assessment.decision
    to = ClaimState.DECIDED if decision.compensation > 0 else ClaimState.REJECTED
    reason = None
    if to is ClaimState.REJECTED:
        # The reason nothing is paid: the whole-claim reason, else the last rule applied.
        steps = [s for s in decision.trail if s.rule != "decision"]
        reason = (decision.excluded[0].reason if decision.excluded and not
                  decision.eligible_transaction_ids else
                  (steps[-1].effect if steps else "nothing to compensate"))[:500]
    credit = claim.credit_account_id
    if credit is None:
        first = ev.claimed_instructions(session, claim.id)
        credit = first[0][1].debit_account_id if first else None
    policy = policy_for(claim)
    _move(session, claim, (ClaimState.INVESTIGATING,), to, outcome=decision.decision,
          compensation=decision.compensation, case_document=canonical(assessment.case),
          decision=canonical(decision.as_dict()), decided_at=clock.now(),
          decided_by_request_id=request_id, rejection_reason=reason,
          credit_account_id=credit,
          cap_year=ev.cap_year(claim.notified_on, policy.cap_year_basis))
    record(session, actor=actor, action="claims.decided", subject_type="claim",
           subject_id=claim.id, data={"request_id": request_id, "outcome": decision.decision,
                                      "compensation": decision.compensation,
                                      "state": to.value})
    _notify(session, claim, "claims.decided", compensation=f"{decision.compensation:,}")
    return {"outcome": decision.decision, "compensation": decision.compensation}


def request_payment(session: Session, *, claim_id: int, operator_id: int,
                    reason: str) -> ApprovalRequest:
    require_role(session, operator_id, CLAIMS_ROLES)
    claim = get_claim(session, claim_id)
    if claim.state is not ClaimState.DECIDED:
        raise ClaimStateError(detail="only a decided claim is paid")
    return approvals.request(
        session, action="claims.pay", subject_type="claim", subject_id=claim.id,
        payload={"claim_id": claim.id, "compensation": claim.compensation,
                 "credit_account_id": claim.credit_account_id},
        reason=reason, requested_by=operator_id)


def _count_in_year(session: Session, claim: Claim, amount: int) -> None:
    """Add the payment to the customer's year, refusing to go over the product's cap — one
    conditional UPDATE, so two payments racing cannot both fit under it."""
    year = claim.cap_year or ev.cap_year(claim.notified_on, policy_for(claim).cap_year_basis)
    if session.get(CompensationYear, (claim.customer_id, year)) is None:
        try:
            with session.begin_nested():
                session.add(CompensationYear(customer_id=claim.customer_id, year=year,
                                             total=0))
        except IntegrityError:
            pass  # another payment created the row first
    cap = (None if claim.kind is ClaimKind.PROCESSING_ERROR
           else profile_for_claim(claim).annual_cap)
    t = table_of(CompensationYear)
    stmt = update(t).where(t.c.customer_id == claim.customer_id, t.c.year == year)
    if cap is not None:
        stmt = stmt.where(t.c.total + amount <= cap)
    done = session.execute(stmt.values(total=t.c.total + amount).returning(t.c.total)
                           ).one_or_none()
    if done is None:
        raise CapExceeded(detail=f"customer {claim.customer_id}, year {year}")


def profile_for_claim(claim: Claim) -> Profile:
    return profile_for(Product(claim.product), policy_for(claim), claim.notified_on)


def _execute_payment(session: Session, payload: dict[str, Any], *, actor: str,
                     request_id: int) -> dict[str, Any]:
    claim = get_claim(session, int(payload["claim_id"]))
    amount = claim.compensation or 0
    if claim.state is not ClaimState.DECIDED or amount != payload["compensation"]:
        raise ClaimStateError(detail=f"claim {claim.id} is not decided as requested")
    if claim.credit_account_id is None or session.get(Account, claim.credit_account_id) is None:
        raise InvalidClaim(detail="no account to credit", fields=["credit_account_id"])
    _count_in_year(session, claim, amount)
    # A bank set up before claims existed gets its compensation book here (idempotent).
    expense = ensure_books(session, actor=actor)["compensation_expense"]
    posted = post(session, EntryRequest(
        kind="claims.compensation",
        legs=[Leg(expense, -amount, f"ﾎﾃﾝ {claim.id}"),
              Leg(claim.credit_account_id, amount, "ﾌｾｲﾄﾘﾋｷ ﾎﾃﾝ"
                  if claim.kind is ClaimKind.FRAUD else "ｼｮﾘﾁｴﾝ ﾊﾞｲｼｮｳ")],
        memo=f"claim {claim.id}", value_date=clock.today(),
        idempotency_key=f"claims.pay:{claim.id}"), actor=actor)
    _move(session, claim, (ClaimState.DECIDED,), ClaimState.PAID, paid_at=clock.now(),
          paid_entry_id=posted.entry_id)
    if claim.kind is ClaimKind.FRAUD:
        _record_lapse_and_subrogation(session, claim, amount, actor=actor)
    record(session, actor=actor, action="claims.paid", subject_type="claim",
           subject_id=claim.id, data={"request_id": request_id, "amount": amount,
                                      "entry_id": posted.entry_id,
                                      "account_id": claim.credit_account_id})
    _notify(session, claim, "claims.paid", amount=f"{amount:,}")
    return {"amount": amount, "entry_id": posted.entry_id}


def _record_lapse_and_subrogation(session: Session, claim: Claim, amount: int, *,
                                  actor: str) -> None:
    """CLM-9 (001 12(6)(7), 003 第九条6・7): to the amount paid, the customer's rights on the
    target deposit lapse and the bank acquires the customer's claims against the
    perpetrator — recorded against each transaction, oldest first."""
    decision = json.loads(claim.decision or "{}")
    eligible = [int(i) for i in decision.get("eligible_transaction_ids", [])]
    counted = {int(k): int(v) for k, v in decision.get("eligible_amounts", {}).items()}
    rows = {ct.instruction_id: ct for ct, _ in ev.claimed_instructions(session, claim.id)}
    shares = allocate(amount, [counted[i] for i in eligible])
    for instruction_id, share in zip(eligible, shares, strict=True):
        if share == 0:
            continue
        row = rows[instruction_id]
        row.lapsed_amount = share
        row.subrogated_amount = share
        record(session, actor=actor, action="claims.rights_lapsed", subject_type="instruction",
               subject_id=instruction_id, data={"claim_id": claim.id, "amount": share})
        record(session, actor=actor, action="claims.subrogated", subject_type="instruction",
               subject_id=instruction_id, data={"claim_id": claim.id, "amount": share})


# The four-eyes actions of claims (OPS-1): a CLAIMS operator asks, another approves.
register_action("claims.decide", ActionSpec(
    _execute_decision, CLAIMS_ROLES, CLAIMS_ROLES,
    validate=lambda p: _needs(p, "claim_id", "case_digest"), summary=lambda out: out))
register_action("claims.pay", ActionSpec(
    _execute_payment, CLAIMS_ROLES, CLAIMS_ROLES,
    validate=lambda p: _needs(p, "claim_id", "compensation"), summary=lambda out: out))
