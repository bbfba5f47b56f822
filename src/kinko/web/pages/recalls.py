"""The operator's recall (組戻) queue (XFER-5, OPS-2): a recall is asked for at the branch,
entered here by an operator (the fee is charged at once), and decided when the payee's side
answers. Same operator session and CSRF rule as the rest of the console."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from kinko.backoffice.models import Operator
from kinko.errors import DomainError
from kinko.instructions.models import Instruction
from kinko.transfers import recalls
from kinko.transfers.models import RecallState
from kinko.web.deps import DB
from kinko.web.i18n import language
from kinko.web.pages.operator import OPERATOR, act, operator_csrf, parse_id
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


def _refused(request: Request, s: Session) -> Callable[[DomainError], Response]:
    return lambda exc: _page(request, s, status_code=exc.status,
                             error=exc.for_customer(language(request)))


@router.get("", response_class=HTMLResponse)
def queue(request: Request, operator: Operator = OPERATOR, s: Session = DB) -> Response:
    return _page(request, s)


@router.post("", response_class=HTMLResponse)
def request_recall(request: Request, instruction_id: str = Form(""), reason: str = Form(""),
                   operator: Operator = OPERATOR, s: Session = DB
                   ) -> Response:
    def run() -> str:
        recalls.request(s, instruction_id=parse_id(instruction_id, "instruction_id"),
                        operator=f"operator:{operator.id}", reason=reason)
        return "/operator/recalls"
    return act(s, run, _refused(request, s))


@router.post("/{recall_id}/decide", response_class=HTMLResponse)
def decide(request: Request, recall_id: Id, outcome: str = Form(""),
           operator: Operator = OPERATOR, s: Session = DB) -> Response:
    def run() -> str:
        if outcome not in ("returned", "refused"):
            from kinko.errors import ValidationFailed

            raise ValidationFailed(detail="outcome must be returned or refused")
        recalls.decide(s, recall_id=recall_id, operator=f"operator:{operator.id}",
                       funds_returned=outcome == "returned")
        return "/operator/recalls"
    return act(s, run, _refused(request, s))
