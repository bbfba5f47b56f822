"""Corporate services pages: Zengin statement downloads (ZEN-2) and direct debit (DD-1, DD-2).

The download links go to the same API routes (the session cookie authenticates a GET).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from kinko import clock
from kinko.corporate_services import access
from kinko.web.auth import Caller, caller, csrf_token
from kinko.web.deps import DB
from kinko.web.templating import render

router = APIRouter(prefix="/corporate", include_in_schema=False)


def page(request: Request, c: Caller, name: str, status_code: int = 200,
         **context: Any) -> HTMLResponse:
    return render(request, name, status_code=status_code, user=c.user,
                  csrf=csrf_token(c.token), **context)


@router.get("", response_class=HTMLResponse)
def home(request: Request, c: Caller = Depends(caller), s: Session = DB) -> HTMLResponse:
    contract = access.contract_of(s, c.actor)
    today = clock.today()
    return page(request, c, "corporate/home.html", contract=contract,
                accounts=access.usage_accounts(s, contract),
                date_from=today - timedelta(days=30), date_to=today)
