"""The business net's pages (PRD-2..4, APR-1, AUTH-12, BULK-1): home with pending approvals
and today's cutoffs, user management, the bulk builder (upload with a progress bar), the
request page that shows exactly what an approver signs, results, and the smartphone's
approval and device-registration screens. Desktop and phone; Japanese and English."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from kinko import clock
from kinko.auth.models import UserRole
from kinko.auth.outcomes import Rejected
from kinko.auth.policy import Operation
from kinko.bulk import service as bulk
from kinko.bulk.errors import BulkFileRefused
from kinko.bulk.models import BulkKind, BulkState
from kinko.corporate import rules as corp_rules
from kinko.corporate import service as corporate
from kinko.errors import DomainError
from kinko.web.auth import Caller, caller, csrf_token, set_session_cookie
from kinko.web.deps import DB
from kinko.web.i18n import language, tr
from kinko.web.params import Id, Page
from kinko.web.routes.bulk import _read_upload
from kinko.web.stepup import StepUpAnswers, plan, prove
from kinko.web.templating import render

router = APIRouter(prefix="/corporate", include_in_schema=False)


def _page(request: Request, c: Caller, name: str, status_code: int = 200,
          token: str | None = None, **context: Any) -> HTMLResponse:
    return render(request, name, status_code=status_code, user=c.user,
                  csrf=csrf_token(token or c.token), **context)


@router.get("", response_class=HTMLResponse)
def home(request: Request, c: Caller = Depends(caller), s: Session = DB) -> HTMLResponse:
    """Pending approvals for this user and today's cutoffs (APR-1, BULK-1, PAYR-1)."""
    me = corporate.me(s, c.actor)
    services = corp_rules.parse_services(me.services)
    requests = bulk.list_for(s, c.actor) if services & {corp_rules.Service.BULK,
                                                        corp_rules.Service.PAYROLL} else []
    today = clock.today()
    cutoffs = [r for r in requests if r.state in (BulkState.PENDING, BulkState.APPROVED)
               and r.request_cutoff_at.astimezone(clock.JST).date() == today]
    pending = bulk.pending_for(s, c.actor) if requests else []
    from kinko.corporate_portal import transfer_approvals  # APR-1: single transfers too

    transfers = (transfer_approvals.pending_for(s, c.actor)
                 if corp_rules.Service.TRANSFER in services else [])
    return _page(request, c, "corporate/home.html", me=me, services=sorted(services),
                 pending=pending, cutoffs=cutoffs, requests=requests[:20],
                 transfers=transfers)


# --- users (PRD-4) --------------------------------------------------------------------------

@router.get("/users", response_class=HTMLResponse)
def users(request: Request, c: Caller = Depends(caller), s: Session = DB) -> HTMLResponse:
    return _page(request, c, "corporate/users.html", users=corporate.list_users(s, c.actor),
                 error=None, letters=list(corp_rules.Service))


def _services(form_letters: list[str]) -> frozenset[corp_rules.Service]:
    try:
        return corp_rules.parse_services("".join(form_letters))
    except ValueError as exc:
        from kinko.errors import ValidationFailed

        raise ValidationFailed(detail="service letters are A–N") from exc


def _limit(text: str) -> int | None:
    return int(text) if text.strip().isdigit() and len(text.strip()) <= 15 else None


@router.post("/users", response_class=HTMLResponse)
def add_user(request: Request, role: Annotated[str, Form(pattern="^(admin|general)$")],
             login_id: Annotated[str, Form(max_length=32)],
             temporary_login_password: Annotated[str, Form(max_length=64)],
             temporary_confirmation_password: Annotated[str, Form(max_length=64)],
             display_name: Annotated[str, Form(max_length=120)] = "",
             services: Annotated[list[str] | None, Form()] = None,
             per_transaction: Annotated[str, Form(max_length=15)] = "",
             daily: Annotated[str, Form(max_length=15)] = "",
             accounts: Annotated[list[int] | None, Form()] = None,
             c: Caller = Depends(caller), s: Session = DB) -> Response:
    try:
        with s.begin_nested():
            corporate.create_user(
                s, c.actor, role=UserRole(role), login_id=login_id.strip(),
                temporary_login_password=temporary_login_password,
                temporary_confirmation_password=temporary_confirmation_password,
                display_name=display_name.strip(), services=_services(services or []),
                per_transaction=_limit(per_transaction), daily=_limit(daily),
                account_ids=accounts or [])
    except DomainError as exc:
        return _page(request, c, "corporate/users.html", status_code=422,
                     users=corporate.list_users(s, c.actor), letters=list(corp_rules.Service),
                     error=exc.for_customer(language(request)))
    return RedirectResponse("/corporate/users", status_code=303)


@router.post("/users/{user_id}/grants", response_class=HTMLResponse)
def grants(request: Request, user_id: Id, services: Annotated[list[str] | None, Form()] = None,
           per_transaction: Annotated[str, Form(max_length=15)] = "",
           daily: Annotated[str, Form(max_length=15)] = "",
           accounts: Annotated[list[int] | None, Form()] = None,
           c: Caller = Depends(caller), s: Session = DB) -> Response:
    corporate.set_grants(s, c.actor, user_id, services=_services(services or []),
                         per_transaction=_limit(per_transaction), daily=_limit(daily),
                         account_ids=accounts or [])
    return RedirectResponse("/corporate/users", status_code=303)


@router.post("/users/{user_id}/suspend")
def suspend(user_id: Id, c: Caller = Depends(caller), s: Session = DB) -> Response:
    corporate.suspend_user(s, c.actor, user_id, suspend=True)
    return RedirectResponse("/corporate/users", status_code=303)


@router.post("/users/{user_id}/resume")
def resume(user_id: Id, c: Caller = Depends(caller), s: Session = DB) -> Response:
    corporate.suspend_user(s, c.actor, user_id, suspend=False)
    return RedirectResponse("/corporate/users", status_code=303)


# --- the bulk builder (BULK-1, PAYR-1) --------------------------------------------------------

@router.get("/bulk/new", response_class=HTMLResponse)
def new_bulk(request: Request, c: Caller = Depends(caller), s: Session = DB) -> HTMLResponse:
    corporate.me(s, c.actor)
    return _page(request, c, "corporate/bulk_new.html", problems=[], error=None)


@router.post("/bulk/new", response_class=HTMLResponse)
def upload_bulk(request: Request, file: Annotated[UploadFile, File()],
                kind: Annotated[str, Form(pattern="^(bulk|payroll|bonus)$")] = "bulk",
                value_date: Annotated[str, Form(max_length=10)] = "",
                c: Caller = Depends(caller), s: Session = DB) -> Response:
    """Without JavaScript the form posts here; with it, the page uploads to the API and
    shows the progress. A refused file keeps nothing and lists each line's problem."""
    data = _read_upload(file)
    try:
        with s.begin_nested():
            if (file.filename or "").lower().endswith(".csv"):
                req = bulk.from_csv(s, c.actor, data.decode("utf-8-sig", errors="replace"),
                                    kind=BulkKind(kind), value_date=date.fromisoformat(value_date))
            else:
                req = bulk.from_zengin(s, c.actor, data)
    except BulkFileRefused as exc:
        return _page(request, c, "corporate/bulk_new.html", status_code=422,
                     problems=exc.problems[:200], error=exc.for_customer(language(request)))
    except (DomainError, ValueError) as exc:
        message = exc.for_customer(language(request)) if isinstance(exc, DomainError) else \
            tr(language(request), "振込指定日をYYYY-MM-DDで入力してください")
        return _page(request, c, "corporate/bulk_new.html", status_code=422, problems=[],
                     error=message)
    return RedirectResponse(f"/corporate/bulk/{req.id}", status_code=303)


@router.get("/bulk/{bulk_id}", response_class=HTMLResponse)
def show_bulk(request: Request, bulk_id: Id, page: Page = 1, c: Caller = Depends(caller),
              s: Session = DB) -> HTMLResponse:
    req = bulk.get(s, c.actor, bulk_id)
    lines = bulk.lines_of(s, req, offset=(page - 1) * 100, limit=100)
    step_up = None
    if req.state is BulkState.PENDING and req.maker_user_id != c.user.id:
        step_up = plan(s, c, Operation.APPROVAL, bulk.signed_details(req))
    return _page(request, c, "corporate/bulk.html", req=req, lines=lines, page=page,
                 details=bulk.signed_details(req), approvals=bulk._given(s, req),
                 result=bulk.result_counts(s, req), step_up=step_up, error=None,
                 pages=(req.count + 99) // 100)


@router.post("/bulk/{bulk_id}/approve", response_class=HTMLResponse)
def approve_bulk(request: Request, bulk_id: Id,
                 digest: Annotated[str, Form(max_length=64)] = "",
                 confirmation_password: Annotated[str, Form(max_length=64)] = "",
                 otp_code: Annotated[str, Form(max_length=12)] = "",
                 c: Caller = Depends(caller), s: Session = DB) -> Response:
    """An approval from the PC: the step-up binds to the digest of the details shown."""
    req = bulk.get(s, c.actor, bulk_id)
    answers = StepUpAnswers(confirmation_password=confirmation_password or None,
                            otp_code=otp_code or None)
    proved = prove(s, c, Operation.APPROVAL, bulk.signed_details(req), answers,
                   binds=req.digest)
    if isinstance(proved, Rejected):
        raise proved.error
    proof, new_token = proved
    try:
        with s.begin_nested():
            bulk.approve(s, c.actor, bulk_id, digest=digest, step_up=proof)
        response: Response = RedirectResponse(f"/corporate/bulk/{bulk_id}", status_code=303)
    except DomainError as exc:
        response = _page(request, c, "corporate/bulk.html", status_code=exc.status,
                         token=new_token, req=req, lines=bulk.lines_of(s, req, limit=100),
                         page=1, details=bulk.signed_details(req),
                         approvals=bulk._given(s, req), result=bulk.result_counts(s, req),
                         step_up=None, error=exc.for_customer(language(request)),
                         pages=(req.count + 99) // 100)
    if c.from_cookie:
        set_session_cookie(response, request, new_token)
    return response


@router.post("/bulk/{bulk_id}/cancel")
def cancel_bulk(bulk_id: Id, c: Caller = Depends(caller), s: Session = DB) -> Response:
    bulk.cancel(s, c.actor, bulk_id)
    return RedirectResponse(f"/corporate/bulk/{bulk_id}", status_code=303)


# --- the smartphone (AUTH-12, CRED-2) ----------------------------------------------------------

@router.get("/phone", response_class=HTMLResponse)
def phone(request: Request, c: Caller = Depends(caller), s: Session = DB) -> HTMLResponse:
    """The phone's approval screen: each request waiting for this user, with exactly the
    details the phone will sign."""
    from kinko.auth.approvals import has_device

    pending = bulk.pending_for(s, c.actor)
    return _page(request, c, "corporate/phone.html", pending=[
        (r, bulk.signed_details(r), json.dumps(bulk.signed_details(r))) for r in pending],
        registered=has_device(s, c.user.id))


@router.get("/phone/register", response_class=HTMLResponse)
def phone_register(request: Request, c: Caller = Depends(caller), s: Session = DB
                   ) -> HTMLResponse:
    from kinko.auth.approvals import has_device

    return _page(request, c, "corporate/phone_register.html",
                 registered=has_device(s, c.user.id))
