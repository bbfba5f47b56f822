"""The demo mailbox: what the local SMTP sink received, and which addresses bounce (NOTIF-1).

Like the demo overview it shows other people's mail without logging in, so it exists only
when the app runs as the demo bank (``KINKO_DEMO=1``); otherwise every path here is a 404.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from kinko import clock
from kinko.errors import NotFound
from kinko.notifications.service import mailbox, undeliverable_since
from kinko.web.deps import DB
from kinko.web.params import LINE_PATTERN
from kinko.web.templating import render

router = APIRouter()


def _demo_only(request: Request) -> None:
    if not request.app.state.settings.demo:
        raise NotFound(detail="the demo mailbox exists only in demo mode")


@router.get("/demo/mailbox", response_class=HTMLResponse, include_in_schema=False,
            dependencies=[Depends(_demo_only)])
def mailbox_page(request: Request, limit: int = Query(50, ge=1, le=500),
                 s: Session = DB) -> HTMLResponse:
    return render(request, "mailbox.html", mails=mailbox(s, limit=limit),
                  bounces=undeliverable_since(s, clock.now()))


@router.get("/api/v1/demo/mailbox", tags=["demo"], dependencies=[Depends(_demo_only)],
            summary="デモ用受信メール / mail received by the demo SMTP sink")
def mailbox_api(limit: int = Query(50, ge=1, le=500),
                offset: int = Query(0, ge=0, le=1_000_000_000),
                to: str | None = Query(None, max_length=254, pattern=LINE_PATTERN,
                                       description="only mail to this address"),
                s: Session = DB) -> dict[str, Any]:
    """Only in demo mode. Newest first; times are Japan time (ISO 8601)."""
    return {
        "messages": [{**asdict(m), "received_at": m.received_at.isoformat()}
                     for m in mailbox(s, limit=limit, offset=offset, to=to)],
        "bounces": [{**asdict(b), "first_bounced_at": b.first_bounced_at.isoformat(),
                     "last_bounced_at": b.last_bounced_at.isoformat()}
                    for b in undeliverable_since(s, clock.now())],
    }
