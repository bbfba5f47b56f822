"""The claims JSON API for customers (CLM-1, CRED-6): report unauthorized transfers, follow
the claim. Reporting stops the service at once, so the caller's session ends with it; the
answer carries the claim number to follow it once the branch has resumed the service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from kinko.claims import service as claims
from kinko.claims.models import Claim
from kinko.instructions.models import Instruction
from kinko.web.auth import Caller, caller
from kinko.web.deps import DB
from kinko.web.params import BankDate, Id, Line, Text

router = APIRouter(prefix="/api/v1/claims", tags=["claims"])


class ReportIn(BaseModel):
    noticed_on: BankDate = Field(..., description="the day you noticed the theft or transfer")
    stolen_on: BankDate | None = Field(None, description="the day of the theft, if known")
    transaction_ids: list[Id] = Field(..., min_length=1, max_length=claims.MAX_TRANSACTIONS,
                                      description="instruction ids from your statement")
    police_report_ref: Line = Field("", max_length=60, description="被害届の受理番号など")
    explanation: Text = Field("", max_length=4000)
    unavoidable_delay_days: int = Field(0, ge=0, le=3650)
    delay_reason: Text = Field("", max_length=500)


def claim_view(claim: Claim) -> dict[str, Any]:
    import json

    decision = json.loads(claim.decision) if claim.decision else None
    return {
        "id": claim.id, "kind": claim.kind.value, "state": claim.state.value,
        "product": claim.product, "notified_on": claim.notified_on.isoformat(),
        "noticed_on": claim.noticed_on.isoformat(),
        "stolen_on": claim.stolen_on.isoformat() if claim.stolen_on else None,
        "outcome": claim.outcome, "compensation": claim.compensation,
        "rejection_reason": claim.rejection_reason,
        "paid_at": claim.paid_at.isoformat() if claim.paid_at else None,
        "decision": decision,
    }


def _transfer_view(i: Instruction) -> dict[str, Any]:
    import json

    payee = json.loads(i.details).get("payee", {})
    return {"id": i.id, "value_date": i.value_date.isoformat(), "amount": i.amount,
            "fee": i.fee, "status": i.status.value, "payee_holder": payee.get("holder"),
            "payee_bank": payee.get("bank"), "payee_branch": payee.get("branch")}


@router.get("/transactions", summary="補てん対象に選べるお取引 / transfers you may claim")
def claimable(c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    return {"transactions": [_transfer_view(i) for i in
                             claims.claimable_transfers(s, c.actor.contract_id)]}


@router.post("", status_code=201,
             summary="不正な振込等のお申し出 / report unauthorized transfers (stops the service)")
def report(body: ReportIn, c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    claim = claims.report_fraud(
        s, user_id=c.user.id, channel="api", actor=c.actor.label,
        report=claims.Report(noticed_on=body.noticed_on, stolen_on=body.stolen_on,
                             instruction_ids=tuple(body.transaction_ids),
                             police_report_ref=body.police_report_ref,
                             explanation=body.explanation,
                             unavoidable_delay_days=body.unavoidable_delay_days,
                             delay_reason=body.delay_reason))
    return {"claim": claim_view(claim), "service_stopped": True}


@router.get("", summary="お申し出の一覧 / your claims")
def list_claims(c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    return {"claims": [claim_view(x) for x in claims.claims_of_customer(s, c.actor.customer_id)]}


@router.get("/{claim_id}", summary="お申し出の状況 / follow a claim")
def get_claim(claim_id: Id, c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    return {"claim": claim_view(claims.claim_of_customer(s, c.actor.customer_id, claim_id))}
