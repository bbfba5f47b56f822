"""The home page and, in demo mode only, the demo bank's overview (customers and balances).

The overview shows every customer's accounts without logging in, so it exists only when the
app runs as the demo bank (``KINKO_DEMO=1``, set by ``kinko demo``); otherwise it is a 404.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from kinko.demo.service import overview
from kinko.errors import NotFound
from kinko.web.deps import DB
from kinko.web.templating import render

router = APIRouter()


def _demo_only(request: Request) -> None:
    if not request.app.state.settings.demo:
        raise NotFound(detail="the demo overview exists only in demo mode")


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request) -> HTMLResponse:
    return render(request, "home.html", demo=request.app.state.settings.demo)


@router.get("/demo/accounts", response_class=HTMLResponse, include_in_schema=False,
            dependencies=[Depends(_demo_only)])
def demo_accounts_page(request: Request, s: Session = DB) -> HTMLResponse:
    return render(request, "demo_accounts.html", customers=overview(s))


@router.get("/api/v1/demo/accounts", tags=["demo"], dependencies=[Depends(_demo_only)],
            summary="デモ銀行の顧客と口座残高 / the demo bank's customers and balances")
def demo_accounts(s: Session = DB) -> dict[str, Any]:
    """Only in demo mode. Amounts are integer yen."""
    return {"customers": [asdict(c) for c in overview(s)]}
