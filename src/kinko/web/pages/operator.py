"""Operator console for authentication cases (OPS-1, OPS-2, AUTH-6, AUTH-10, CRED-6).

One operator asks for a sensitive action (release a lockout or block, reset a forgotten
password to a temporary one, resume service after a compromise report); a *second* operator
approves it and :mod:`kinko.backoffice.approvals` carries it out in the same transaction. The
console also records a compromise report taken by phone, which stops the service at once.

Operators sign in with their code, password and the current code of their TOTP authenticator
(:mod:`kinko.backoffice.operators`); the session is kept on the server
(:mod:`kinko.backoffice.sessions`) and the cookie holds only its random token. An operator
whose password must be changed reaches only the change page. Every console page takes the
operator with the dependency :data:`OPERATOR` (:func:`require_operator`: signed in, and for a
form post the CSRF token), and carries out a form with :func:`act` (the use case in a
savepoint, then a redirect, or the page again with the problem).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from kinko.auth import compromise
from kinko.auth import repository as auth_repo
from kinko.auth.models import AuthContract, AuthUser, CompromiseReport, Product, UserState
from kinko.backoffice import approvals, sessions
from kinko.backoffice.cases import take_compromise_report
from kinko.backoffice.models import ApprovalRequest, ApprovalState, Operator
from kinko.backoffice.operators import (
    InitialCredentials,
    SignInOutcome,
    change_password,
    roles_of,
    sign_in,
)
from kinko.backoffice.queues import QUEUES
from kinko.backoffice.queues import counts as queue_counts
from kinko.errors import DomainError, ValidationFailed
from kinko.web.auth import SAFE_METHODS, CsrfRefused, csrf_matches, csrf_token
from kinko.web.deps import DB
from kinko.web.i18n import language, tr
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

# The actions this console may ask for, and what their payload names.
ACTIONS: dict[str, tuple[str, str]] = {
    "auth.release_lock": ("auth_user", "user_id"),
    "auth.reset_password": ("auth_user", "user_id"),
    "auth.reissue_token_lost": ("auth_user", "user_id"),
    "auth.reissue_token_expiry": ("auth_user", "user_id"),
    "auth.reissue_token_defect": ("auth_user", "user_id"),
    "auth.resume_service": ("compromise_report", "report_id"),
    "corporate.token_application": ("token_application", "application_id"),  # CRED-2
}

# --- operator sessions ----------------------------------------------------------------------


def _session_operator(request: Request, s: Session) -> Operator | None:
    """The operator of a live session, even one who must still change their password."""
    return sessions.resolve(s, request.cookies.get(OPERATOR_COOKIE, ""))


def current_operator(request: Request, s: Session) -> Operator | None:
    """The signed-in operator, or None: no live session, deactivated, or the initial password
    not yet changed (such an operator reaches only the change page)."""
    operator = _session_operator(request, s)
    if operator is None or operator.must_change_password:
        return None
    return operator


class OperatorPageRefused(Exception):
    """Raised by :func:`require_operator`: the page to answer with instead (the sign-in page,
    or the password change an operator with an initial password must make first)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def install(app: FastAPI) -> None:
    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, OperatorPageRefused)
        return exc.response

    app.add_exception_handler(OperatorPageRefused, refused)


async def submitted_csrf(request: Request) -> str:
    """The CSRF token a console form posted. ``async`` only to read the form (no database);
    FastAPI keeps the form it read, so the route's own fields come from the same read."""
    if request.method in SAFE_METHODS:
        return ""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get("csrf_token")
        return value if isinstance(value, str) else ""
    return ""


def parse_id(value: str, name: str) -> int:
    """A positive id typed into a form (ASCII digits, within the database's BIGINT)."""
    text = value.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 19
            and 1 <= int(text) <= MAX_ID):
        raise ValidationFailed(detail=f"{name} must be a number from 1 to {MAX_ID}",
                               fields=[name])
    return int(text)


def problem_text(exc: DomainError, lang: str) -> str:
    """For an operator: the message and what exactly was wrong."""
    text = exc.for_customer(lang)
    return f"{text} ({exc.detail})" if exc.detail else text


def check_path_ids(request: Request) -> None:
    """Refuse an ``…_id`` path parameter that is not an id (dependencies run before the
    route's own validation, and the sign-in check must not hide a bad address)."""
    for name, value in request.path_params.items():
        if name.endswith("_id"):
            parse_id(str(value), name)


def require_operator(request: Request, csrf: str = Depends(submitted_csrf),
                     s: Session = DB) -> Operator:
    """Dependency of every console page: the signed-in operator, or the sign-in page (or the
    password change) instead; for a form post, the session's CSRF token is checked next, so
    that a signed-out operator is sent to sign in rather than told the form was refused.
    The roles are the services' to check. An id in the path that is out of range is a 422
    first, whoever asks (as the route's own validation would answer)."""
    check_path_ids(request)
    operator = current_operator(request, s)
    if operator is None:
        refused = _to_login(request, s)
        # Resolving may have ended an expired session (and audited it): that is kept, though
        # the request's transaction is rolled back for the exception that answers it.
        s.commit()
        raise OperatorPageRefused(refused)
    if request.method not in SAFE_METHODS and not operator_csrf_ok(request, csrf):
        raise CsrfRefused
    return operator


OPERATOR = Depends(require_operator)


def act(s: Session, run: Callable[[], str | Response],
        refused: Callable[[DomainError], Response]) -> Response:
    """Carry out one console form: ``run`` the use case in a savepoint and redirect (303) to
    the address it returns (or give the response it returns). A domain error rolls the
    savepoint back, so nothing changed, and answers ``refused(error)``: the page again with
    the problem."""
    try:
        with s.begin_nested():
            outcome = run()
    except DomainError as exc:
        return refused(exc)
    return outcome if isinstance(outcome, Response) else RedirectResponse(outcome,
                                                                          status_code=303)


def operator_csrf(request: Request) -> str:
    """The CSRF token for forms of this operator session."""
    return csrf_token("operator\x00" + request.cookies.get(OPERATOR_COOKIE, ""))


def operator_csrf_ok(request: Request, submitted: str) -> bool:
    value = request.cookies.get(OPERATOR_COOKIE, "")
    return bool(value) and csrf_matches(submitted, "operator\x00" + value)


def _to_login(request: Request | None = None, s: Session | None = None) -> RedirectResponse:
    if request is not None and s is not None:
        pending = _session_operator(request, s)
        if pending is not None and pending.must_change_password:
            return RedirectResponse("/operator/password", status_code=303)
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
def login_submit(request: Request, code: str = Form(""), password: str = Form(""),
                 otp: str = Form(""), csrf: str = Form("", alias="csrf_token"),
                 s: Session = DB) -> Response:
    lang = language(request)
    if not login_csrf_ok(request, csrf):
        return _login_page(request, message(CsrfRefused(), lang), 403)
    result = sign_in(s, code=code.strip()[:20], password=password[:128],
                     otp_code=otp.strip()[:10])
    if result.outcome is SignInOutcome.LOCKED:
        return _login_page(request, tr(lang,
            "ロックされています。監督者に解除を依頼してください。"),
                           423)
    if result.operator is None:
        return _login_page(request, tr(lang,
            "行員番号・パスワード・確認コードのいずれかが正しくありません。"), 401)
    token = sessions.start(s, result.operator.id)
    target = "/operator/password" if result.operator.must_change_password else "/operator"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(OPERATOR_COOKIE, token, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https",
                        path="/")   # the console's pages and its API (/api/v1/operator)
    return response


@router.get("/password", response_class=HTMLResponse)
def password_page(request: Request, s: Session = DB) -> Response:
    operator = _session_operator(request, s)
    if operator is None:
        return _to_login()
    return render(request, "operator/password.html", operator=operator,
                  csrf=operator_csrf(request), error=None)


@router.post("/password", response_class=HTMLResponse)
def password_submit(request: Request, current: str = Form(""), new: str = Form(""),
                    again: str = Form(""), csrf: str = Form("", alias="csrf_token"),
                    s: Session = DB) -> Response:
    operator = _session_operator(request, s)
    if operator is None:
        return _to_login()
    if not operator_csrf_ok(request, csrf):
        raise CsrfRefused
    try:
        with s.begin_nested():
            if new != again:
                raise ValidationFailed(detail="the two new passwords differ", fields=["again"])
            change_password(s, operator_id=operator.id, current=current[:128], new=new[:128])
    except DomainError as exc:
        return render(request, "operator/password.html", status_code=exc.status,
                      operator=operator, csrf=operator_csrf(request),
                      error=message(exc, language(request)))
    return RedirectResponse("/operator?done=password-changed", status_code=303)


@router.post("/logout")
def logout(request: Request, csrf: str = Form("", alias="csrf_token"), s: Session = DB
           ) -> Response:
    token = request.cookies.get(OPERATOR_COOKIE)
    if token and not operator_csrf_ok(request, csrf):
        raise CsrfRefused
    if token:
        sessions.end(s, token, "logout")
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
            "operators": operators, "queues": QUEUES, "queue_counts": queue_counts(s)}


def _console(request: Request, s: Session, operator: Operator, *, status_code: int = 200,
             error: str | None = None, done: str | None = None, found: AuthUser | None = None,
             searched: bool = False, temporary_password: str | None = None,
             initial: InitialCredentials | None = None, executed: str | None = None
             ) -> HTMLResponse:
    contract = None if found is None else s.get(AuthContract, found.contract_id)
    return render(request, "operator/console.html", status_code=status_code,
                  operator=operator, roles=sorted(r.value for r in roles_of(s, operator.id)),
                  csrf=operator_csrf(request),
                  error=error, done=done, found=found, contract=contract, searched=searched,
                  products=tuple(Product), credentials=CREDENTIALS,
                  temporary_password=temporary_password, initial=initial, executed=executed,
                  **_queues(s))


@router.get("", response_class=HTMLResponse)
def console(request: Request, product: str = Query("", max_length=20),
            login_id: str = Query("", max_length=32), done: str = Query("", max_length=60),
            operator: Operator = OPERATOR, s: Session = DB) -> Response:
    found = None
    if product in {p.value for p in Product} and login_id:
        found = auth_repo.user_by_login_id(s, Product(product), login_id.strip())
    return _console(request, s, operator, found=found, searched=bool(login_id),
                    done=done or None)


def _refused(request: Request, s: Session, operator: Operator) -> Callable[[DomainError],
                                                                          Response]:
    """The console again, with the problem."""
    return lambda exc: _console(request, s, operator, status_code=exc.status,
                                error=message(exc, language(request)))


@router.post("/requests", response_class=HTMLResponse)
def ask(request: Request, action: str = Form(""), target_id: str = Form(""),
        reason: str = Form(""), operator: Operator = OPERATOR, s: Session = DB) -> Response:
    """Ask for a four-eyes action; nothing happens until a second operator approves."""
    def run() -> str:
        if action not in ACTIONS:
            raise ValidationFailed(detail="unknown action", fields=["action"])
        subject_type, key = ACTIONS[action]
        target = parse_id(target_id, key)
        row = approvals.request(s, action=action, subject_type=subject_type,
                                subject_id=target, payload={key: target},
                                reason=reason[:500], requested_by=operator.id)
        return f"/operator?done=requested-{row.id}"
    return act(s, run, _refused(request, s, operator))


@router.post("/requests/{request_id}/approve", response_class=HTMLResponse)
def approve(request: Request, request_id: Id, note: str = Form(""),
            operator: Operator = OPERATOR, s: Session = DB) -> Response:
    """A second operator approves: the action runs now, as the approver (OPS-1)."""
    def run() -> str | Response:
        decision = approvals.approve(s, request_id=request_id, approver_id=operator.id,
                                     note=note[:500] or None)
        done = f"executed-{decision.request_id}"
        action = s.get(ApprovalRequest, decision.request_id)
        if action is not None and action.action == "auth.reset_password" and isinstance(
                decision.output, str):
            # A reset's temporary password: shown to the approver once, to print and mail on
            # paper (AUTH-10: never displayed to or sent by e-mail to the customer).
            return _console(request, s, operator, done=done,
                            temporary_password=decision.output)
        if isinstance(decision.output, InitialCredentials):
            # A new operator's (or a reset operator's) initial password and TOTP secret:
            # shown to the approver once, to hand over in person.
            return _console(request, s, operator, done=done, initial=decision.output)
        if isinstance(decision.output, str):
            return _console(request, s, operator, done=done, executed=decision.output)
        return f"/operator?done={done}"
    return act(s, run, _refused(request, s, operator))


@router.post("/requests/{request_id}/reject", response_class=HTMLResponse)
def reject(request: Request, request_id: Id, note: str = Form(""),
           operator: Operator = OPERATOR, s: Session = DB) -> Response:
    def run() -> str:
        approvals.reject(s, request_id=request_id, approver_id=operator.id,
                         note=note[:500] or "—")
        return f"/operator?done={ApprovalState.REJECTED.value}-{request_id}"
    return act(s, run, _refused(request, s, operator))


@router.post("/requests/{request_id}/withdraw", response_class=HTMLResponse)
def withdraw(request: Request, request_id: Id, operator: Operator = OPERATOR,
             s: Session = DB) -> Response:
    def run() -> str:
        approvals.withdraw(s, request_id=request_id, operator_id=operator.id)
        return f"/operator?done={ApprovalState.CANCELLED.value}-{request_id}"
    return act(s, run, _refused(request, s, operator))


@router.post("/reports", response_class=HTMLResponse)
def report(request: Request, user_id: str = Form(""), credential: str = Form(""),
           note: str = Form(""), operator: Operator = OPERATOR, s: Session = DB) -> Response:
    """A customer's report taken by phone (CRED-6): the service stops at once; no second
    operator is needed to stop, only to resume."""
    def run() -> str:
        if credential not in {c.value for c in CREDENTIALS}:
            raise ValidationFailed(detail="unknown credential", fields=["credential"])
        report_id = take_compromise_report(
            s, operator_id=operator.id, user_id=parse_id(user_id, "user_id"),
            credential=compromise.Credential(credential), note=note)
        return f"/operator?done=reported-{report_id}"
    return act(s, run, _refused(request, s, operator))
