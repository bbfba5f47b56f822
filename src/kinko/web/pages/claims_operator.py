"""Operator pages for claims (OPS-1, OPS-2, CLM-1..10): the queue, the case view with the
evidence and the engine's trail side by side, findings, four-eyes decision and payment, and
the printable decision letter.

Operator sign-in and CSRF are the console's (:mod:`kinko.web.pages.operator`); every action
here calls :mod:`kinko.claims.service`, which checks the CLAIMS role and audits.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from kinko.backoffice import approvals
from kinko.backoffice.models import ApprovalRequest, Operator
from kinko.backoffice.operators import actor_of, roles_of
from kinko.claims import service as claims
from kinko.claims.errors import InvalidClaim
from kinko.claims.evidence import claimed_instructions
from kinko.claims.letter import decision_letter
from kinko.claims.models import OPEN_STATES, Claim
from kinko.config import get_settings
from kinko.errors import DomainError
from kinko.web.deps import DB
from kinko.web.i18n import language
from kinko.web.pages.operator import OPERATOR, act, operator_csrf, problem_text
from kinko.web.params import MAX_ID, Id
from kinko.web.templating import render

router = APIRouter(prefix="/operator/claims", include_in_schema=False)

CLAIM_ACTIONS = ("claims.decide", "claims.pay")
FAULTS = ("none", "negligence", "gross_negligence", "intent")
RELATIONS = ("none", "spouse", "relative_2nd_degree", "cohabitant", "domestic_staff")
PAYEES = ("third_party", "own_account", "representative", "kyc_business_for_customer")


def _pending(s: Session) -> list[ApprovalRequest]:
    return [r for r in approvals.pending(s) if r.action in CLAIM_ACTIONS]


def _queue(request: Request, s: Session, operator: Operator, *, status_code: int = 200,
           error: str | None = None, done: str | None = None) -> HTMLResponse:
    open_claims = s.execute(select(Claim).where(Claim.state.in_(OPEN_STATES))
                            .order_by(Claim.created_at, Claim.id).limit(500)).scalars().all()
    closed = s.execute(select(Claim).where(Claim.state.not_in(OPEN_STATES))
                       .order_by(Claim.id.desc()).limit(50)).scalars().all()
    return render(request, "operator/claims_queue.html", status_code=status_code,
                  operator=operator, roles=sorted(r.value for r in roles_of(s, operator.id)),
                  csrf=operator_csrf(request), open_claims=open_claims, closed=closed,
                  requests=_pending(s), error=error, done=done)


@router.get("", response_class=HTMLResponse)
def queue(request: Request, operator: Operator = OPERATOR, s: Session = DB) -> Response:
    """OPS-2: the claims work queue, oldest first, and the approvals waiting."""
    done = request.query_params.get("done")
    return _queue(request, s, operator, done=done[:60] if done else None)


def _case(request: Request, s: Session, operator: Operator, claim_id: int, *,
          status_code: int = 200, error: str | None = None) -> HTMLResponse:
    claim = claims.get_claim(s, claim_id)
    assessment = claims.assess(s, claim)
    findings = claims.findings_of(claim)
    # Once decided, the page shows the case and the decision as approved: the records move
    # on (the year's total includes this very payment) but the decision does not.
    stored = json.loads(claim.decision) if claim.decision else None
    case = json.loads(claim.case_document) if claim.case_document else assessment.case
    return render(request, "operator/claims_case.html", status_code=status_code,
                  operator=operator, csrf=operator_csrf(request), claim=claim, a=assessment,
                  engine=stored or assessment.decision, provisional=assessment.provisional
                  and stored is None,
                  findings=findings, case_json=json.dumps(case, ensure_ascii=False, indent=2),
                  instructions=[ins for _, ins in claimed_instructions(s, claim.id)],
                  requests=[r for r in _pending(s) if r.subject_id == str(claim.id)],
                  faults=FAULTS, relations=RELATIONS, payees=PAYEES, error=error,
                  decision=stored)


@router.get("/{claim_id}", response_class=HTMLResponse)
def case_view(request: Request, claim_id: Id, operator: Operator = OPERATOR, s: Session = DB
              ) -> Response:
    return _case(request, s, operator, claim_id)


def _run(request: Request, s: Session, operator: Operator, claim_id: int, action: Any
         ) -> Response:
    """Run one operator action in a savepoint; on a domain error show the case again."""
    def run() -> str:
        action(operator)
        return f"/operator/claims/{claim_id}"
    return act(s, run, lambda exc: _case(request, s, operator, claim_id, status_code=exc.status,
                                         error=problem_text(exc, language(request))))


@router.post("/{claim_id}/investigate", response_class=HTMLResponse)
def investigate(request: Request, claim_id: Id, operator: Operator = OPERATOR,
                s: Session = DB) -> Response:
    return _run(request, s, operator, claim_id, lambda op: claims.start_investigation(
        s, claim_id=claim_id, operator_id=op.id))


@router.post("/{claim_id}/findings", response_class=HTMLResponse)
def record_findings(request: Request, claim_id: Id,
                    prompt_notice: str = Form(""), sufficient_explanation: str = Form(""),
                    police_report: str = Form(""),
                    customer_fault: str = Form("none", max_length=20),
                    perpetrator_relation: str = Form("none", max_length=30),
                    false_statement: str = Form(""), social_disorder: str = Form(""),
                    bank_at_fault: str = Form(""), pc_lent_or_pledged: str = Form(""),
                    breach_of_bank_rules: str = Form(""), software_updated: str = Form(""),
                    recovered_from_perpetrator: str = Form("0", max_length=15),
                    payees: list[str] = Form(default=[]),
                    note: str = Form("", max_length=4000),
                    operator: Operator = OPERATOR, s: Session = DB) -> Response:
    """What Kinko cannot know, as the investigation found it, with the operator's note.
    Each payee select sends ``<instruction id>:<class>`` (empty class: Kinko's own view)."""
    def record(op: Operator) -> None:
        recovered = recovered_from_perpetrator.strip() or "0"
        if not (recovered.isascii() and recovered.isdigit()):
            raise InvalidClaim(detail="recovered amount", fields=["recovered_from_perpetrator"])
        chosen = dict(p.split(":", 1) for p in payees[:claims.MAX_TRANSACTIONS] if ":" in p)
        claims.record_findings(s, claim_id=claim_id, operator_id=op.id, note=note, findings={
            "conditions": {"prompt_notice": prompt_notice == "on",
                           "sufficient_explanation": sufficient_explanation == "on",
                           "police_report": police_report == "on"},
            "customer_fault": customer_fault, "perpetrator_relation": perpetrator_relation,
            "false_statement": false_statement == "on", "social_disorder": social_disorder == "on",
            "bank_at_fault": bank_at_fault == "on",
            "pc_lent_or_pledged": pc_lent_or_pledged == "on",
            "breach_of_bank_rules": breach_of_bank_rules == "on",
            "software_updated": software_updated == "on",
            "recovered_from_perpetrator": int(recovered),
            "payees": {k: v for k, v in chosen.items() if v}})
    return _run(request, s, operator, claim_id, record)


@router.post("/{claim_id}/decide", response_class=HTMLResponse)
def ask_decision(request: Request, claim_id: Id, reason: str = Form("", max_length=500),
                 operator: Operator = OPERATOR, s: Session = DB) -> Response:
    return _run(request, s, operator, claim_id, lambda op: claims.request_decision(
        s, claim_id=claim_id, operator_id=op.id, reason=reason))


@router.post("/{claim_id}/pay", response_class=HTMLResponse)
def ask_payment(request: Request, claim_id: Id, reason: str = Form("", max_length=500),
                operator: Operator = OPERATOR, s: Session = DB) -> Response:
    return _run(request, s, operator, claim_id, lambda op: claims.request_payment(
        s, claim_id=claim_id, operator_id=op.id, reason=reason))


@router.post("/{claim_id}/requests/{request_id}/approve", response_class=HTMLResponse)
def approve(request: Request, claim_id: Id, request_id: Id,
            note: str = Form("", max_length=500), operator: Operator = OPERATOR,
            s: Session = DB) -> Response:
    """A second operator approves: the decision or the payment is carried out now."""
    return _run(request, s, operator, claim_id, lambda op: approvals.approve(
        s, request_id=request_id, approver_id=op.id, note=note or None))


@router.post("/{claim_id}/requests/{request_id}/reject", response_class=HTMLResponse)
def reject(request: Request, claim_id: Id, request_id: Id,
           note: str = Form("", max_length=500), operator: Operator = OPERATOR,
           s: Session = DB) -> Response:
    return _run(request, s, operator, claim_id, lambda op: approvals.reject(
        s, request_id=request_id, approver_id=op.id, note=note or "—"))


@router.get("/{claim_id}/letter.pdf")
def letter(request: Request, claim_id: Id, operator: Operator = OPERATOR, s: Session = DB
           ) -> Response:
    """The printable decision letter (PDF)."""
    claim = claims.get_claim(s, claim_id)
    try:
        pdf = decision_letter(s, claim, bank_name=get_settings().bank_name)
    except DomainError as exc:
        return _case(request, s, operator, claim_id, status_code=exc.status,
                     error=problem_text(exc, language(request)))
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="claim-{claim.id}-decision.pdf"'})


def _queue_refused(request: Request, s: Session, operator: Operator
                   ) -> Callable[[DomainError], Response]:
    return lambda exc: _queue(request, s, operator, status_code=exc.status,
                              error=problem_text(exc, language(request)))


def _int(value: str, name: str) -> int:
    text = value.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 19 and 1 <= int(text) <= MAX_ID):
        raise InvalidClaim(detail=f"{name} must be a number", fields=[name])
    return int(text)


@router.post("", response_class=HTMLResponse)
def enter_call(request: Request, user_id: str = Form("", max_length=19),
               noticed_on: str = Form("", max_length=10),
               stolen_on: str = Form("", max_length=10),
               transaction_ids: str = Form("", max_length=2000),
               police_report_ref: str = Form("", max_length=60),
               explanation: str = Form("", max_length=4000),
               unavoidable_delay_days: str = Form("0", max_length=4),
               delay_reason: str = Form("", max_length=500),
               operator: Operator = OPERATOR, s: Session = DB) -> Response:
    """A report taken by phone: the claim is received and the service stops at once."""
    def run() -> str:
        try:
            noticed = date.fromisoformat(noticed_on.strip())
            stolen = date.fromisoformat(stolen_on.strip()) if stolen_on.strip() else None
        except ValueError:
            raise InvalidClaim(detail="a date is not a date",
                               fields=["noticed_on"]) from None
        ids = tuple(_int(x, "transaction_ids") for x in
                    transaction_ids.replace(",", " ").split())
        delay = unavoidable_delay_days.strip() or "0"
        if not (delay.isascii() and delay.isdigit()):
            raise InvalidClaim(detail="delay days must be a number",
                               fields=["unavoidable_delay_days"])
        claim = claims.report_fraud(
            s, user_id=_int(user_id, "user_id"), channel="phone",
            actor=actor_of(operator.id),
            report=claims.Report(noticed_on=noticed, stolen_on=stolen, instruction_ids=ids,
                                 police_report_ref=police_report_ref,
                                 explanation=explanation,
                                 unavoidable_delay_days=int(delay),
                                 delay_reason=delay_reason))
        return f"/operator/claims/{claim.id}"
    return act(s, run, _queue_refused(request, s, operator))


@router.post("/processing-errors", response_class=HTMLResponse)
def enter_processing_error(request: Request, instruction_id: str = Form("", max_length=19),
                           delay_days: str = Form("", max_length=4),
                           explanation: str = Form("", max_length=4000),
                           operator: Operator = OPERATOR,
                           s: Session = DB) -> Response:
    """CLM-10: a payment the bank's own processing error delayed."""
    def run() -> str:
        claim = claims.report_processing_error(
            s, operator_id=operator.id, instruction_id=_int(instruction_id, "instruction_id"),
            delay_days=_int(delay_days, "delay_days"), explanation=explanation)
        return f"/operator/claims/{claim.id}"
    return act(s, run, _queue_refused(request, s, operator))
