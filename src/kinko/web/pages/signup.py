"""Public online sign-up of the business net's Light course (AUTH-7, 002 第2条1(1)).

The customer proves the ordinary account (branch, number) with its cash card PIN **or** the
last 4 digits of the last passbook balance, and registers a login ID, a login password and a
confirmation password. Attempts are throttled per client address and per account like a login;
wrong PINs and digits also count on the account's own counter.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from kinko.auth import throttle
from kinko.auth.models import Product
from kinko.auth.outcomes import Rejected
from kinko.errors import DomainError, ValidationFailed
from kinko.ledger.models import AccountType
from kinko.onboarding import products
from kinko.web.auth import CsrfRefused
from kinko.web.deps import DB
from kinko.web.i18n import language
from kinko.web.pages.auth import (
    client_of,
    login_csrf_ok,
    login_form_token,
    login_nonce,
    message,
    retry_after_header,
    set_login_cookie,
)
from kinko.web.templating import render

router = APIRouter(include_in_schema=False)

SCOPE = "light-signup"   # the throttle's scope: the account typed


def _page(request: Request, form: dict[str, str], error: str | None = None,
          status_code: int = 200) -> HTMLResponse:
    nonce, fresh = login_nonce(request)
    response = render(request, "onboarding/signup_light.html", status_code=status_code,
                      form=form, csrf=login_form_token(nonce), error=error)
    if fresh:
        set_login_cookie(response, request, nonce)
    return response


@router.get("/signup/light", response_class=HTMLResponse)
def signup_page(request: Request) -> HTMLResponse:
    return _page(request, {"proof": "pin"})


@router.post("/signup/light", response_class=HTMLResponse)
def signup_submit(request: Request, csrf: str = Form("", alias="csrf_token"),
                  branch_code: str = Form(""), account_number: str = Form(""),
                  proof: str = Form("pin"), secret: str = Form(""), login_id: str = Form(""),
                  login_password: str = Form(""), confirmation_password: str = Form(""),
                  email: str = Form(""), s: Session = DB) -> Response:
    form = {"branch_code": branch_code.strip()[:3], "account_number": account_number.strip()[:7],
            "proof": proof if proof in ("pin", "passbook") else "pin",
            "login_id": login_id.strip()[:32], "email": email.strip()[:254]}
    lang = language(request)
    if not login_csrf_ok(request, csrf):
        return _page(request, form, message(CsrfRefused(), lang), 403)
    try:
        with s.begin_nested():
            if proof not in ("pin", "passbook"):
                raise ValidationFailed(detail="proof: pin or passbook", fields=["proof"])
            if not (len(secret) == 4 and secret.isascii() and secret.isdigit()):
                raise ValidationFailed(detail="4 digits", fields=["secret"])
            result = throttle.guarded(
                s, address=client_of(request).ip, product=Product.CORPORATE_002, scope=SCOPE,
                typed_id=f"{form['branch_code']}-{AccountType.ORDINARY.value}-"
                         f"{form['account_number']}",
                attempt=lambda: products.signup_light(
                    s, branch_code=form["branch_code"], account_number=form["account_number"],
                    pin=secret if proof == "pin" else None,
                    passbook_last4=secret if proof == "passbook" else None,
                    login_id=form["login_id"], login_password=login_password[:128],
                    confirmation_password=confirmation_password[:128],
                    email=form["email"] or None))
    except DomainError as exc:
        return _page(request, form, message(exc, lang), exc.status)
    if isinstance(result, Rejected):
        return retry_after_header(_page(request, form, message(result.error, lang),
                                        result.error.status), result.error)
    return RedirectResponse("/login?product=corporate-002&notice=signed_up", status_code=303)
