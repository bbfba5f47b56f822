"""The operator's recall (組戻) queue (XFER-5, OPS-2): a recall is asked for at the branch,
entered here by an operator (the fee is charged at once), and decided when the payee's side
answers. Same operator session and CSRF rule as the rest of the console."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from kinko.backoffice.models import Operator
from kinko.errors import DomainError
from kinko.instructions.models import Instruction
from kinko.transfers import recalls
from kinko.transfers.models import RecallState
from kinko.web.deps import DB
from kinko.web.i18n import language
from kinko.web.pages.operator import OPERATOR, _int, operator_csrf
from kinko.web.params import Id
from kinko.web.templating import render

router = APIRouter(prefix="/operator/recalls", include_in_schema=False)


def _page(request: Request, s: Session, *, status_code: int = 200, error: str | None = None
          ) -> HTMLResponse:
    open_recalls = recalls.queue(s, RecallState.REQUESTED)
    instructions = {r.instruction_id: s.get(Instruction, r.instruction_id) for r in open_recalls}
    return render(request, "operator/recalls.html", status_code=status_code,
                  recalls=open_recalls, instructions=instructions, error=error,
                  csrf=operator_csrf(request))


@router.get("", response_class=HTMLResponse)
def queue(request: Request, operator: Operator = OPERATOR, s: Session = DB) -> Response:
    return _page(request, s)


@router.post("", response_class=HTMLResponse)
def request_recall(request: Request, instruction_id: str = Form(""), reason: str = Form(""),
                   operator: Operator = OPERATOR, s: Session = DB
                   ) -> Response:
    try:
        with s.begin_nested():
            recalls.request(s, instruction_id=_int(instruction_id, "instruction_id"),
                            operator=f"operator:{operator.id}", reason=reason)
    except DomainError as exc:
        return _page(request, s, status_code=exc.status, error=exc.for_customer(language(request)))
    return RedirectResponse("/operator/recalls", status_code=303)


@router.post("/{recall_id}/decide", response_class=HTMLResponse)
def decide(request: Request, recall_id: Id, outcome: str = Form(""),
           operator: Operator = OPERATOR, s: Session = DB) -> Response:
    try:
        with s.begin_nested():
            if outcome not in ("returned", "refused"):
                from kinko.errors import ValidationFailed

                raise ValidationFailed(detail="outcome must be returned or refused")
            recalls.decide(s, recall_id=recall_id, operator=f"operator:{operator.id}",
                           funds_returned=outcome == "returned")
    except DomainError as exc:
        return _page(request, s, status_code=exc.status, error=exc.for_customer(language(request)))
    return RedirectResponse("/operator/recalls", status_code=303)
