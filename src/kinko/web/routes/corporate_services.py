"""The corporate services' JSON API and file downloads (ZEN-2, DD-1, DD-2).

Thin translations to :mod:`kinko.corporate_services`; every route acts for the caller's own
corporate contract. Files come back as attachments (fixed-length Zengin in Shift_JIS, or XML).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from kinko.corporate_services import statements
from kinko.web.auth import Caller, caller
from kinko.web.deps import DB
from kinko.web.params import BankDate, Id

router = APIRouter(prefix="/api/v1/corporate", tags=["corporate"])

FormQuery = Annotated[statements.Form, Query(description="zengin (fixed-length) or camt (XML)")]
EdiQuery = Annotated[bool, Query(description="attach the XML financial EDI information")]


def attachment(download: statements.Download) -> Response:
    return Response(download.content, media_type=download.media_type,
                    headers={"Content-Disposition":
                             f'attachment; filename="{download.filename}"'})


def _zengin(kind: statements.Kind, c: Caller, s: Session, date_from: BankDate,
            date_to: BankDate, account_id: Id | None, form: statements.Form,
            edi: bool) -> Response:
    return attachment(statements.download(s, c.actor, kind=kind, form=form,
                                          date_from=date_from, date_to=date_to,
                                          account_id=account_id, with_edi=edi))


@router.get("/zengin/statements", response_class=Response,
            summary="入出金取引明細（全銀 03 / camt.052） / account statement (ZEN-2)")
def zengin_statement(date_from: BankDate, date_to: BankDate, account_id: Id | None = None,
                     form: FormQuery = statements.Form.ZENGIN, edi: EdiQuery = False,
                     c: Caller = Depends(caller), s: Session = DB) -> Response:
    return _zengin(statements.Kind.STATEMENT, c, s, date_from, date_to, account_id, form, edi)


@router.get("/zengin/incoming", response_class=Response,
            summary="振込入金通知（全銀 01 / camt.054） / incoming transfer notice (ZEN-2)")
def zengin_incoming(date_from: BankDate, date_to: BankDate, account_id: Id | None = None,
                    form: FormQuery = statements.Form.ZENGIN, edi: EdiQuery = False,
                    c: Caller = Depends(caller), s: Session = DB) -> Response:
    return _zengin(statements.Kind.INCOMING, c, s, date_from, date_to, account_id, form, edi)
