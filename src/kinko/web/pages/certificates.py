"""The customer's client certificates (AUTH-11, CRED-4): issue from the PC's signing request,
renew in the window before expiry, revoke before disposing of the PC.

The private key never leaves the customer's PC: the page takes a PEM certificate signing
request (made by the browser's or the OS's tool) and returns the signed certificate to install.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from kinko.auth import certificates
from kinko.auth.models import ClientCertificate
from kinko.auth.users import contract_of
from kinko.errors import DomainError, NotFound
from kinko.web.auth import Caller, caller, csrf_token
from kinko.web.deps import DB
from kinko.web.i18n import language
from kinko.web.pages.auth import message
from kinko.web.params import Id
from kinko.web.templating import render

router = APIRouter(prefix="/security/certificates", include_in_schema=False)

MAX_CSR = 8_000


def _page(request: Request, c: Caller, s: Session, *, status_code: int = 200,
          error: str | None = None, issued: certificates.IssuedCertificate | None = None,
          done: str | None = None) -> HTMLResponse:
    rows = s.execute(select(ClientCertificate).where(ClientCertificate.user_id == c.user.id)
                     .order_by(ClientCertificate.id.desc())).scalars().all()
    return render(request, "onboarding/certificates.html", status_code=status_code,
                  user=c.user, csrf=csrf_token(c.token), rows=rows, error=error,
                  issued=issued, done=done,
                  enabled=contract_of(s, c.user).certificate_login)


def _own(s: Session, c: Caller, certificate_id: int) -> str:
    row = s.get(ClientCertificate, certificate_id)
    if row is None or row.user_id != c.user.id:
        raise NotFound(detail="certificate")
    return row.serial


@router.get("", response_class=HTMLResponse)
def certificates_page(request: Request, c: Caller = Depends(caller), s: Session = DB
                      ) -> HTMLResponse:
    return _page(request, c, s)


@router.post("", response_class=HTMLResponse)
def issue(request: Request, csr: str = Form(""), c: Caller = Depends(caller),
          s: Session = DB) -> HTMLResponse:
    try:
        with s.begin_nested():
            issued = certificates.issue(s, user_id=c.user.id, csr_pem=csr[:MAX_CSR],
                                        actor=f"user:{c.user.id}")
    except DomainError as exc:
        return _page(request, c, s, status_code=exc.status,
                     error=message(exc, language(request)))
    return _page(request, c, s, issued=issued, done="issued")


@router.post("/{certificate_id}/renew", response_class=HTMLResponse)
def renew(request: Request, certificate_id: Id, csr: str = Form(""), c: Caller = Depends(caller),
          s: Session = DB) -> HTMLResponse:
    try:
        with s.begin_nested():
            issued = certificates.renew(s, serial=_own(s, c, certificate_id), csr_pem=csr[:MAX_CSR],
                                        actor=f"user:{c.user.id}")
    except DomainError as exc:
        return _page(request, c, s, status_code=exc.status,
                     error=message(exc, language(request)))
    return _page(request, c, s, issued=issued, done="renewed")


@router.post("/{certificate_id}/revoke", response_class=HTMLResponse)
def revoke(request: Request, certificate_id: Id, c: Caller = Depends(caller), s: Session = DB
           ) -> Response:
    try:
        with s.begin_nested():
            certificates.revoke(s, serial=_own(s, c, certificate_id), reason="customer",
                                actor=f"user:{c.user.id}")
    except DomainError as exc:
        return _page(request, c, s, status_code=exc.status,
                     error=message(exc, language(request)))
    return _page(request, c, s, done="revoked")
