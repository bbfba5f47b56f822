"""Customer pages for claims (UI-1, CLM-1, CRED-6): report fraud, follow the claim.

The report form lists the customer's own executed transfers to pick from. Sending it stops
the service at once, so the answer is a page of its own (the session has just ended) with the
claim number and what happens next.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from kinko.claims import service as claims
from kinko.claims.errors import InvalidClaim
from kinko.claims.evidence import claimed_instructions
from kinko.errors import DomainError
from kinko.web.auth import Caller, caller, csrf_token
from kinko.web.deps import DB
from kinko.web.i18n import language, tr
from kinko.web.params import MAX_ID, Id
from kinko.web.templating import render

router = APIRouter(prefix="/banking/claims", include_in_schema=False)


def _page(request: Request, c: Caller, name: str, status_code: int = 200,
          **context: Any) -> HTMLResponse:
    return render(request, name, status_code=status_code, user=c.user,
                  csrf=csrf_token(c.token), **context)


@router.get("", response_class=HTMLResponse)
def list_page(request: Request, c: Caller = Depends(caller), s: Session = DB) -> HTMLResponse:
    return _page(request, c, "claims/list.html",
                 claims=claims.claims_of_customer(s, c.actor.customer_id))


def _form(request: Request, c: Caller, s: Session, form: dict[str, Any],
          error: str | None, status_code: int = 200) -> HTMLResponse:
    return _page(request, c, "claims/new.html", status_code=status_code, form=form,
                 error=error, transfers=claims.claimable_transfers(s, c.actor.contract_id))


@router.get("/new", response_class=HTMLResponse)
def new_page(request: Request, c: Caller = Depends(caller), s: Session = DB) -> HTMLResponse:
    return _form(request, c, s, {"selected": []}, None)


def _date(value: str, field: str, *, optional: bool = False) -> date | None:
    text = value.strip()
    if not text and optional:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidClaim(detail=f"{field} is not a date", fields=[field]) from None


def _ids(values: list[str]) -> tuple[int, ...]:
    out = []
    for value in values:
        if not (value.isascii() and value.isdigit() and len(value) <= 19
                and 1 <= int(value) <= MAX_ID):
            raise InvalidClaim(detail="unknown transaction", fields=["transactions"])
        out.append(int(value))
    return tuple(out)


@router.post("", response_class=HTMLResponse)
def report(request: Request, noticed_on: str = Form(""), stolen_on: str = Form(""),
           transaction_ids: list[str] = Form(default=[]),
           police_report_ref: str = Form("", max_length=60),
           explanation: str = Form("", max_length=4000),
           unavoidable_delay_days: str = Form("0", max_length=4),
           delay_reason: str = Form("", max_length=500),
           c: Caller = Depends(caller), s: Session = DB) -> Response:
    lang = language(request)
    form = {"noticed_on": noticed_on, "stolen_on": stolen_on, "selected": transaction_ids,
            "police_report_ref": police_report_ref, "explanation": explanation,
            "unavoidable_delay_days": unavoidable_delay_days, "delay_reason": delay_reason}
    try:
        with s.begin_nested():
            delay = unavoidable_delay_days.strip() or "0"
            if not (delay.isascii() and delay.isdigit()):
                raise InvalidClaim(detail="delay days", fields=["unavoidable_delay_days"])
            noticed = _date(noticed_on, "noticed_on")
            assert noticed is not None
            claim = claims.report_fraud(
                s, user_id=c.user.id, channel="web", actor=c.actor.label,
                report=claims.Report(
                    noticed_on=noticed, stolen_on=_date(stolen_on, "stolen_on", optional=True),
                    instruction_ids=_ids(transaction_ids),
                    police_report_ref=police_report_ref, explanation=explanation,
                    unavoidable_delay_days=int(delay), delay_reason=delay_reason))
    except DomainError as exc:
        detail = f" ({exc.detail})" if isinstance(exc, InvalidClaim) and exc.detail else ""
        return _form(request, c, s, form, exc.for_customer(lang) + detail, 422)
    # The session ended with the report (CRED-6): a page without the banking menu.
    return render(request, "claims/received.html", claim=claim,
                  message=tr(lang, "ご利用を直ちに停止しました。"))


@router.get("/{claim_id}", response_class=HTMLResponse)
def follow(request: Request, claim_id: Id, c: Caller = Depends(caller), s: Session = DB
           ) -> HTMLResponse:
    import json

    claim = claims.claim_of_customer(s, c.actor.customer_id, claim_id)
    return _page(request, c, "claims/follow.html", claim=claim,
                 transactions=[ins for _, ins in claimed_instructions(s, claim.id)],
                 decision=json.loads(claim.decision) if claim.decision else None)
