"""Operator review queue of periodic verification (KYC-5, OPS-1, OPS-2).

A KYC reviewer sees the cases that need a person — in the review band, different person,
overdue, documents resubmitted — looks at the images (each view audited), and asks to
override the result; a *second* KYC reviewer approves it in the console's pending requests
(:mod:`kinko.backoffice.approvals`, maker ≠ checker), which carries the override out.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from kinko.backoffice import approvals
from kinko.backoffice.models import Operator, OperatorRole
from kinko.backoffice.operators import actor_of, require_role
from kinko.errors import NotFound, ValidationFailed
from kinko.parties.models import Customer
from kinko.verification import repository as repo
from kinko.verification import review, service
from kinko.verification.models import CaseState, ImageKind, VerificationImage
from kinko.web.deps import DB
from kinko.web.i18n import language
from kinko.web.pages.operator import OPERATOR, act, operator_csrf
from kinko.web.params import Id
from kinko.web.templating import render

router = APIRouter(prefix="/operator/verification", include_in_schema=False)

QUEUE = (CaseState.REVIEW, CaseState.FAILED, CaseState.OVERDUE, CaseState.RESUBMITTED)
_REVIEWER = (OperatorRole.KYC_REVIEWER, OperatorRole.AUDITOR)


def _reviewer(operator: Operator = OPERATOR, s: Session = DB) -> Operator:
    """The signed-in KYC reviewer (or auditor); for a form post, its CSRF token is checked
    (by :func:`~kinko.web.pages.operator.require_operator`) before the role."""
    require_role(s, operator.id, _REVIEWER)
    return operator


REVIEWER = Depends(_reviewer)


def _render(request: Request, s: Session, operator: Operator, name: str, *,
            status_code: int = 200, **context: Any) -> HTMLResponse:
    return render(request, name, status_code=status_code, operator=operator,
                  csrf=operator_csrf(request),
                  states=CaseState, **context)


@router.get("", response_class=HTMLResponse)
def queue(request: Request, operator: Operator = REVIEWER, s: Session = DB) -> Response:
    cases = repo.cases_in(s, QUEUE)
    customers = {c.id: s.get(Customer, c.customer_id) for c in cases}
    return _render(request, s, operator, "operator/verification_queue.html", cases=cases,
                   customers=customers)


def _case_page(request: Request, s: Session, operator: Operator, case_id: int, *,
               status_code: int = 200, error: str | None = None,
               done: int | None = None) -> HTMLResponse:
    case = repo.case_for_update(s, case_id)
    if case is None:
        raise NotFound(detail=f"case {case_id}")
    document = repo.current_document_face(s, case.customer_id)
    return _render(request, s, operator, "operator/verification_case.html",
                   status_code=status_code, case=case,
                   customer=s.get(Customer, case.customer_id), document=document,
                   images=repo.case_images(s, case.id), error=error, requested=done,
                   kinds=ImageKind, overridable=case.state in service.OVERRIDABLE)


@router.get("/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: Id, operator: Operator = REVIEWER, s: Session = DB
              ) -> Response:
    return _case_page(request, s, operator, case_id)


@router.get("/images/{image_id}")
def image(request: Request, image_id: Id, operator: Operator = REVIEWER, s: Session = DB
          ) -> Response:
    """One image, decrypted for the reviewer's eyes; every view is audited (KYC-6)."""
    row = s.get(VerificationImage, image_id)
    data = None if row is None else service.read_image(
        s, image_id, actor=actor_of(operator.id), purpose="operator review")
    if data is None:
        raise NotFound(detail=f"image {image_id}")
    return Response(data, media_type=row.content_type if row else "image/jpeg",
                    headers={"Cache-Control": "no-store"})


@router.post("/{case_id}/override", response_class=HTMLResponse)
def ask_override(request: Request, case_id: Id, decision: str = Form(""),
                 reason: str = Form(""), operator: Operator = REVIEWER, s: Session = DB
                 ) -> Response:
    """Ask for an override; a second KYC reviewer approves it in the console (four eyes)."""
    def run() -> Response:
        if decision not in service.DECISIONS:
            raise ValidationFailed(detail="decision", fields=["decision"])
        row = approvals.request(s, action=review.ACTION, subject_type=service.SUBJECT,
                                subject_id=case_id,
                                payload={"case_id": case_id, "decision": decision,
                                         "note": reason[:500]},
                                reason=reason[:500], requested_by=operator.id)
        return _case_page(request, s, operator, case_id, done=row.id)
    return act(s, run, lambda exc: _case_page(request, s, operator, case_id,
                                              status_code=exc.status,
                                              error=exc.for_customer(language(request))))
