"""Operator console for authentication cases (OPS-1, OPS-2, AUTH-6, AUTH-10, CRED-6).

One operator asks for a sensitive action (release a lockout or block, reset a forgotten
password to a temporary one, resume service after a compromise report); a *second* operator
approves it and :mod:`kinko.backoffice.approvals` carries it out in the same transaction. The
console also records a compromise report taken by phone, which stops the service at once.

Operator login is deliberately minimal: an operator logs in with their code and their own
random access key (issued by ``kinko operators``, kept only as an argon2id hash; see
:mod:`kinko.backoffice.operators`), and the session is a signed, expiring cookie checked on
every request against the operator's active flag and current key (issuing a new key ends the
old key's sessions). Nothing about it derives from the bank's secret key but the cookie's MAC
key. Personal operator accounts with a second factor replace this later.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.service import record
from kinko.auth import compromise
from kinko.auth import repository as auth_repo
from kinko.auth.crypto import constant_time_equals, derived_key
from kinko.auth.models import AuthContract, AuthUser, CompromiseReport, Product, UserState
from kinko.backoffice import approvals
from kinko.backoffice.models import ApprovalState, Operator
from kinko.backoffice.operators import actor_of, authenticate_operator, roles_of
from kinko.errors import DomainError, ValidationFailed
from kinko.keys import Purpose
from kinko.web.auth import CsrfRefused, csrf_matches, csrf_token
from kinko.web.deps import DB
from kinko.web.i18n import language
from kinko.web.pages.auth import (
    CREDENTIALS,
    login_csrf_ok,
    login_form_token,
    login_nonce,
    message,
    set_login_cookie,
)
from kinko.web.params import MAX_ID, Id
from kinko.web.templating import render

router = APIRouter(prefix="/operator", include_in_schema=False)

OPERATOR_COOKIE = "kinko_operator"
OPERATOR_SESSION = timedelta(hours=8)

# The actions this console may ask for, and what their payload names.
ACTIONS: dict[str, tuple[str, str]] = {
    "auth.release_lock": ("auth_user", "user_id"),
    "auth.reset_password": ("auth_user", "user_id"),
    "auth.reissue_token_lost": ("auth_user", "user_id"),
    "auth.reissue_token_expiry": ("auth_user", "user_id"),
    "auth.reissue_token_defect": ("auth_user", "user_id"),
    "auth.resume_service": ("compromise_report", "report_id"),
}

# --- minimal operator authentication -----------------------------------------------------


def _mac(payload: str, operator: Operator) -> str:
    # The operator's current key hash is part of the message: a new key ends old sessions.
    message = f"{payload}.{operator.access_key_hash or ''}"
    return hmac.new(derived_key(Purpose.OPERATOR_SESSION), message.encode(), hashlib.sha256
                    ).hexdigest()


def _session_value(operator: Operator) -> str:
    expires = int((clock.now() + OPERATOR_SESSION).timestamp())
    payload = f"{operator.id}.{expires}"
    return f"{payload}.{_mac(payload, operator)}"


def current_operator(request: Request, s: Session) -> Operator | None:
    """The operator of a valid, unexpired cookie who is still active, or None."""
    value = request.cookies.get(OPERATOR_COOKIE, "")
    parts = value.split(".")
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() and len(p) <= 18
                                  for p in parts[:2]):
        return None
    if int(parts[1]) <= clock.now().timestamp():
        return None
    operator = s.get(Operator, int(parts[0]))
    if operator is None or not operator.active or operator.access_key_hash is None:
        return None
    if not constant_time_equals(parts[2], _mac(f"{parts[0]}.{parts[1]}", operator)):
        return None
    return operator


def _csrf_ok(request: Request, submitted: str) -> bool:
    value = request.cookies.get(OPERATOR_COOKIE, "")
    return bool(value) and csrf_matches(submitted, "operator\x00" + value)


def _to_login() -> RedirectResponse:
    return RedirectResponse("/operator/login", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return _login_page(request)


def _login_page(request: Request, error: str | None = None, status_code: int = 200
                ) -> HTMLResponse:
    nonce, fresh = login_nonce(request)
    response = render(request, "operator/login.html", status_code=status_code,
                      csrf=login_form_token(nonce), error=error)
    if fresh:
        set_login_cookie(response, request, nonce)
    return response


@router.post("/login", response_class=HTMLResponse)
def login_submit(request: Request, code: str = Form(""), key: str = Form(""),
                 csrf: str = Form("", alias="csrf_token"), s: Session = DB
                 ) -> Response:
    lang = language(request)
    if not login_csrf_ok(request, csrf):
        return _login_page(request, message(CsrfRefused(), lang), 403)
    operator = authenticate_operator(s, code.strip()[:20], key.strip()[:64])
    if operator is None:
        record(s, actor="anonymous", action="backoffice.operator_login_failed",
               subject_type="operator", subject_id=code.strip()[:20], data={})
        return _login_page(request, "行員番号またはアクセスキーが正しくありません。"
                           if lang == "ja" else "Wrong operator code or access key.", 401)
    record(s, actor=actor_of(operator.id), action="backoffice.operator_login",
           subject_type="operator", subject_id=operator.id, data={})
    response = RedirectResponse("/operator", status_code=303)
    response.set_cookie(OPERATOR_COOKIE, _session_value(operator), httponly=True,
                        samesite="strict", secure=request.url.scheme == "https",
                        path="/")   # the console's pages and its API (/api/v1/operator)
    return response


@router.post("/logout")
def logout(request: Request, csrf: str = Form("", alias="csrf_token")) -> Response:
    if request.cookies.get(OPERATOR_COOKIE) and not _csrf_ok(request, csrf):
        raise CsrfRefused
    response = _to_login()
    response.delete_cookie(OPERATOR_COOKIE, path="/")
    return response


# --- the console ---------------------------------------------------------------------------


def _queues(s: Session) -> dict[str, Any]:
    """OPS-2 work queues of this console: users not active, open reports, pending requests."""
    users = s.execute(select(AuthUser).where(AuthUser.state != UserState.ACTIVE)
                      .order_by(AuthUser.id).limit(200)).scalars().all()
    reports = s.execute(select(CompromiseReport).where(CompromiseReport.resumed_at.is_(None))
                        .order_by(CompromiseReport.id.desc()).limit(200)).scalars().all()
    operators = {o.id: o for o in s.execute(select(Operator)).scalars()}
    return {"users": users, "reports": reports, "requests": approvals.pending(s),
            "operators": operators}


def _console(request: Request, s: Session, operator: Operator, *, status_code: int = 200,
             error: str | None = None, done: str | None = None, found: AuthUser | None = None,
             searched: bool = False, temporary_password: str | None = None) -> HTMLResponse:
    contract = None if found is None else s.get(AuthContract, found.contract_id)
    return render(request, "operator/console.html", status_code=status_code,
                  operator=operator, roles=sorted(r.value for r in roles_of(s, operator.id)),
                  csrf=csrf_token("operator\x00" + request.cookies.get(OPERATOR_COOKIE, "")),
                  error=error, done=done, found=found, contract=contract, searched=searched,
                  products=tuple(Product), credentials=CREDENTIALS,
                  temporary_password=temporary_password, **_queues(s))


@router.get("", response_class=HTMLResponse)
def console(request: Request, product: str = Query("", max_length=20),
            login_id: str = Query("", max_length=32), done: str = Query("", max_length=60),
            s: Session = DB) -> Response:
    operator = current_operator(request, s)
    if operator is None:
        return _to_login()
    found = None
    if product in {p.value for p in Product} and login_id:
        found = auth_repo.user_by_login_id(s, Product(product), login_id.strip())
    return _console(request, s, operator, found=found, searched=bool(login_id),
                    done=done or None)


def _guarded(request: Request, s: Session, csrf: str) -> Operator | Response:
    operator = current_operator(request, s)
    if operator is None:
        return _to_login()
    if not _csrf_ok(request, csrf):
        raise CsrfRefused
    return operator


def _int(value: str, name: str) -> int:
    """A positive id typed into a form (ASCII digits, within the database's BIGINT)."""
    text = value.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 19
            and 1 <= int(text) <= MAX_ID):
        raise ValidationFailed(detail=f"{name} must be a number from 1 to {MAX_ID}",
                               fields=[name])
    return int(text)


@router.post("/requests", response_class=HTMLResponse)
def ask(request: Request, action: str = Form(""), target_id: str = Form(""),
        reason: str = Form(""), csrf: str = Form("", alias="csrf_token"),
        s: Session = DB) -> Response:
    """Ask for a four-eyes action; nothing happens until a second operator approves."""
    operator = _guarded(request, s, csrf)
    if isinstance(operator, Response):
        return operator
    try:
        with s.begin_nested():
            if action not in ACTIONS:
                raise ValidationFailed(detail="unknown action", fields=["action"])
            subject_type, key = ACTIONS[action]
            target = _int(target_id, key)
            row = approvals.request(s, action=action, subject_type=subject_type,
                                    subject_id=target, payload={key: target},
                                    reason=reason[:500], requested_by=operator.id)
    except DomainError as exc:
        return _console(request, s, operator, status_code=exc.status,
                        error=message(exc, language(request)))
    return RedirectResponse(f"/operator?done=requested-{row.id}", status_code=303)


@router.post("/requests/{request_id}/approve", response_class=HTMLResponse)
def approve(request: Request, request_id: Id, note: str = Form(""),
            csrf: str = Form("", alias="csrf_token"), s: Session = DB
            ) -> Response:
    """A second operator approves: the action runs now, as the approver (OPS-1)."""
    operator = _guarded(request, s, csrf)
    if isinstance(operator, Response):
        return operator
    try:
        with s.begin_nested():
            decision = approvals.approve(s, request_id=request_id, approver_id=operator.id,
                                         note=note[:500] or None)
    except DomainError as exc:
        return _console(request, s, operator, status_code=exc.status,
                        error=message(exc, language(request)))
    if isinstance(decision.output, str):
        # A reset's temporary password: shown to the approver once, to print and mail on
        # paper (AUTH-10: never displayed to or sent by e-mail to the customer).
        return _console(request, s, operator, done=f"executed-{decision.request_id}",
                        temporary_password=decision.output)
    return RedirectResponse(f"/operator?done=executed-{decision.request_id}", status_code=303)


@router.post("/requests/{request_id}/reject", response_class=HTMLResponse)
def reject(request: Request, request_id: Id, note: str = Form(""),
           csrf: str = Form("", alias="csrf_token"), s: Session = DB
           ) -> Response:
    operator = _guarded(request, s, csrf)
    if isinstance(operator, Response):
        return operator
    try:
        with s.begin_nested():
            approvals.reject(s, request_id=request_id, approver_id=operator.id,
                             note=note[:500] or "—")
    except DomainError as exc:
        return _console(request, s, operator, status_code=exc.status,
                        error=message(exc, language(request)))
    return RedirectResponse(f"/operator?done={ApprovalState.REJECTED.value}-{request_id}",
                            status_code=303)


@router.post("/requests/{request_id}/withdraw", response_class=HTMLResponse)
def withdraw(request: Request, request_id: Id, csrf: str = Form("", alias="csrf_token"),
             s: Session = DB) -> Response:
    operator = _guarded(request, s, csrf)
    if isinstance(operator, Response):
        return operator
    try:
        with s.begin_nested():
            approvals.withdraw(s, request_id=request_id, operator_id=operator.id)
    except DomainError as exc:
        return _console(request, s, operator, status_code=exc.status,
                        error=message(exc, language(request)))
    return RedirectResponse(f"/operator?done={ApprovalState.CANCELLED.value}-{request_id}",
                            status_code=303)


@router.post("/reports", response_class=HTMLResponse)
def report(request: Request, user_id: str = Form(""), credential: str = Form(""),
           note: str = Form(""), csrf: str = Form("", alias="csrf_token"),
           s: Session = DB) -> Response:
    """A customer's report taken by phone (CRED-6): the service stops at once; no second
    operator is needed to stop, only to resume."""
    operator = _guarded(request, s, csrf)
    if isinstance(operator, Response):
        return operator
    try:
        with s.begin_nested():
            if credential not in {c.value for c in CREDENTIALS}:
                raise ValidationFailed(detail="unknown credential", fields=["credential"])
            report_id = compromise.report(s, user_id=_int(user_id, "user_id"),
                                          credential=compromise.Credential(credential),
                                          channel="phone", note=note[:500],
                                          actor=actor_of(operator.id))
    except DomainError as exc:
        return _console(request, s, operator, status_code=exc.status,
                        error=message(exc, language(request)))
    return RedirectResponse(f"/operator?done=reported-{report_id}", status_code=303)
