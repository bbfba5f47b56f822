"""The mail room's console page (AUTH-7, CRED-1, CRED-5): print the queued letters as PDF, mark
them sent, record returned mail (the credential is voided and a reissue queued; undeliverable
initial credentials are listed as termination candidates)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from kinko.backoffice.models import Operator
from kinko.backoffice.operators import actor_of
from kinko.errors import DomainError
from kinko.onboarding import mail
from kinko.onboarding.models import ShipmentState
from kinko.web.deps import DB
from kinko.web.i18n import language
from kinko.web.pages.operator import OPERATOR, act, operator_csrf, problem_text
from kinko.web.params import Id
from kinko.web.templating import render

router = APIRouter(prefix="/operator/mail", include_in_schema=False)


def _page(request: Request, s: Session, operator: Operator, *, error: str | None = None,
          done: str | None = None, status_code: int = 200) -> HTMLResponse:
    return render(request, "onboarding/mail.html", status_code=status_code, operator=operator,
                  csrf=operator_csrf(request), error=error, done=done,
                  waiting=mail.listing(s, states=(ShipmentState.QUEUED, ShipmentState.PRINTED)),
                  sent=mail.listing(s, states=(ShipmentState.SENT,)),
                  candidates=mail.termination_candidates(s))


@router.get("", response_class=HTMLResponse)
def queue_page(request: Request, operator: Operator = OPERATOR, s: Session = DB) -> Response:
    done = request.query_params.get("done", "")[:60] or None
    return _page(request, s, operator, done=done)


def _refused(request: Request, s: Session, operator: Operator
             ) -> Callable[[DomainError], Response]:
    return lambda exc: _page(request, s, operator, status_code=exc.status,
                             error=problem_text(exc, language(request)))


@router.post("/{shipment_id}/print", response_class=Response)
def print_letter(request: Request, shipment_id: Id, operator: Operator = OPERATOR,
                 s: Session = DB) -> Response:
    """The letter as a PDF to print (printing again after a jam is allowed until it is sent)."""
    def run() -> Response:
        pdf = mail.print_pdf(s, shipment_id=shipment_id, actor=actor_of(operator.id))
        return Response(pdf, media_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="kinko-letter-{shipment_id}.pdf"',
            "Cache-Control": "no-store"})
    return act(s, run, _refused(request, s, operator))


@router.post("/{shipment_id}/sent", response_class=HTMLResponse)
def sent(request: Request, shipment_id: Id, operator: Operator = OPERATOR, s: Session = DB
         ) -> Response:
    def run() -> str:
        mail.mark_sent(s, shipment_id=shipment_id, actor=actor_of(operator.id))
        return f"/operator/mail?done=sent-{shipment_id}"
    return act(s, run, _refused(request, s, operator))


@router.post("/{shipment_id}/returned", response_class=HTMLResponse)
def returned(request: Request, shipment_id: Id, reason: str = Form(""),
             operator: Operator = OPERATOR, s: Session = DB) -> Response:
    def run() -> str:
        again = mail.record_returned(s, shipment_id=shipment_id, reason=reason[:201],
                                     actor=actor_of(operator.id))
        return f"/operator/mail?done=returned-{shipment_id}-reissue-{again.id}"
    return act(s, run, _refused(request, s, operator))
