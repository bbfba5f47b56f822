"""ご利用者さま確認 pages (KYC-2..4): the capture page for a smartphone, the result, and the
upload of identity documents asked for again.

The capture page works without script as a plain upload form (a front photo and photos with
the head turned); with script it takes the photos from the camera itself
(``/static/verification.js``, served by the app like every other asset).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from kinko import clock
from kinko.errors import DomainError
from kinko.policy import current_policy
from kinko.verification import capture, service
from kinko.verification.images import MAX_IMAGE_BYTES
from kinko.verification.models import CaseState
from kinko.web.auth import Caller, caller, csrf_token
from kinko.web.deps import DB
from kinko.web.i18n import language
from kinko.web.templating import render

router = APIRouter(prefix="/banking/verification", include_in_schema=False)


def _page(request: Request, c: Caller, name: str, status_code: int = 200,
          **context: Any) -> HTMLResponse:
    case = context.get("case")
    deadline = (clock.to_jst(case.deadline_at).strftime("%Y-%m-%d %H:%M")
                if case is not None else None)
    return render(request, name, status_code=status_code, user=c.user,
                  csrf=csrf_token(c.token), deadline=deadline, **context)


def _bytes(upload: UploadFile | None) -> bytes:
    if upload is None:
        return b""
    # One byte over the bound is enough to refuse it (images.decode does).
    return upload.file.read(MAX_IMAGE_BYTES + 1)


def _actor(c: Caller) -> str:
    return f"user:{c.user.id}"


@router.get("", response_class=HTMLResponse)
def page(request: Request, c: Caller = Depends(caller), s: Session = DB) -> HTMLResponse:
    """The capture page while a verification is due; otherwise where the customer stands."""
    case = service.open_case(s, c.user.customer_id)
    return _page(request, c, "verification/capture.html", case=case, states=CaseState,
                 max_frames=capture.MAX_FRAMES)


@router.post("", response_class=HTMLResponse)
def submit(request: Request, selfie: UploadFile | None = File(None),
           frames: list[UploadFile] | None = File(None), c: Caller = Depends(caller),
           s: Session = DB) -> HTMLResponse:
    case = service.open_case(s, c.user.customer_id)
    if case is None or case.state is not CaseState.DUE:
        return _page(request, c, "verification/capture.html", status_code=409, case=case,
                     states=CaseState, max_frames=capture.MAX_FRAMES)
    policy, customer_id, actor = current_policy(), c.user.customer_id, _actor(c)
    photo = _bytes(selfie)
    try:
        taken = capture.readable(photo, [_bytes(f) for f in (frames or [])[:capture.MAX_FRAMES]])
        with s.begin_nested():
            against = service.load_for_match(s, customer_id=customer_id, case_id=case.id,
                                             actor=actor)
        # The match takes a few hundred milliseconds (a vendor's round trip more): end the
        # request's transaction first, so that no lock, connection or SQLite writer slot is
        # held meanwhile. The recording below is a second short transaction, which refuses
        # the match if the case or the document face changed in between.
        s.commit()
        compared = capture.compare(against, photo, taken, policy)
        with s.begin_nested():
            attempt = capture.record(s, against=against, compared=compared,
                                     customer_id=customer_id, selfie=photo, frames=taken,
                                     actor=actor, policy=policy)
    except DomainError as exc:
        return _page(request, c, "verification/capture.html", status_code=exc.status,
                     case=case, states=CaseState, max_frames=capture.MAX_FRAMES,
                     error=exc.for_customer(language(request)))
    return _page(request, c, "verification/result.html", attempt=attempt, states=CaseState)


@router.get("/documents", response_class=HTMLResponse)
def documents(request: Request, c: Caller = Depends(caller), s: Session = DB) -> HTMLResponse:
    return _page(request, c, "verification/documents.html",
                 case=service.open_case(s, c.user.customer_id), states=CaseState)


@router.post("/documents", response_class=HTMLResponse)
def upload_documents(request: Request, document: UploadFile | None = File(None),
                     c: Caller = Depends(caller), s: Session = DB) -> HTMLResponse:
    policy = current_policy()
    try:
        with s.begin_nested():
            photo = _bytes(document)
            capture.check_face(photo, policy.kyc)
            service.resubmit_documents(s, customer_id=c.user.customer_id, photo=photo,
                                       actor=_actor(c), policy=policy)
    except DomainError as exc:
        return _page(request, c, "verification/documents.html", status_code=exc.status,
                     case=service.open_case(s, c.user.customer_id), states=CaseState,
                     error=exc.for_customer(language(request)))
    return _page(request, c, "verification/documents.html",
                 case=service.open_case(s, c.user.customer_id), states=CaseState, sent=True)
