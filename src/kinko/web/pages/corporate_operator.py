"""The back office's queue of contracts the bank may terminate (CTR-2), and the customer's
written termination notice (CTR-1). Same operator session and CSRF rule as the console."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from kinko.backoffice.models import Operator
from kinko.corporate_services import contracts
from kinko.errors import DomainError
from kinko.web.deps import DB
from kinko.web.i18n import language
from kinko.web.pages.operator import OPERATOR, act, operator_csrf, parse_id
from kinko.web.params import Id
from kinko.web.templating import render

router = APIRouter(prefix="/operator/corporate", include_in_schema=False)


def _page(request: Request, s: Session, *, status_code: int = 200, error: str | None = None
          ) -> HTMLResponse:
    return render(request, "operator/corporate_candidates.html", status_code=status_code,
                  candidates=contracts.candidates(s), error=error,
                  csrf=operator_csrf(request))


def _refused(request: Request, s: Session) -> Callable[[DomainError], Response]:
    return lambda exc: _page(request, s, status_code=exc.status,
                             error=exc.for_customer(language(request)))


@router.get("/candidates", response_class=HTMLResponse)
def queue(request: Request, operator: Operator = OPERATOR, s: Session = DB) -> Response:
    return _page(request, s)


@router.post("/candidates/{candidate_id}/decide", response_class=HTMLResponse)
def decide(request: Request, candidate_id: Id, outcome: str = Form(""),
           operator: Operator = OPERATOR, s: Session = DB) -> Response:
    if outcome not in ("terminate", "dismiss"):
        return _page(request, s, status_code=422,
                     error="解約か見送りを選んでください / choose terminate or dismiss")
    def run() -> str:
        contracts.decide(s, candidate_id, terminate_contract=outcome == "terminate",
                         operator=f"operator:{operator.id}")
        return "/operator/corporate/candidates"
    return act(s, run, _refused(request, s))


@router.post("/terminations", response_class=HTMLResponse)
def customer_notice(request: Request, contract_id: str = Form(""),
                    operator: Operator = OPERATOR, s: Session = DB) -> Response:
    """Record the customer's written termination notice (002 第18条1)."""
    def run() -> str:
        contracts.terminate(s, parse_id(contract_id, "contract_id"), reason="customer",
                            actor=f"operator:{operator.id}")
        return "/operator/corporate/candidates"
    return act(s, run, _refused(request, s))
