"""The telephony provider's webhook for phone-call authentication (AUTH-4).

The provider reports each call to the bank's designated number as a JSON body signed with
HMAC-SHA256 over ``"{timestamp}." + body`` (headers ``X-Kinko-Timestamp`` and
``X-Kinko-Signature``). A bad signature, a stale timestamp or a replayed event is refused
(``kinko.auth.phone.handle_webhook``); a call from the registered phone inside the window
completes the pending step-up.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from sqlalchemy.orm import Session

from kinko.auth import phone
from kinko.web.deps import DB
from kinko.web.params import LINE_PATTERN

router = APIRouter(prefix="/api/v1/telephony", tags=["telephony"])


async def raw_body(request: Request) -> bytes:
    """The request body as sent (the signature covers the exact bytes); reads, touches no
    database."""
    return await request.body()


@router.post("/calls", summary="着信通知（電話認証）/ a call was received (AUTH-4)")
def call_received(
    timestamp: Annotated[str, Header(alias="X-Kinko-Timestamp", max_length=20,
                                     pattern=LINE_PATTERN)],
    signature: Annotated[str, Header(alias="X-Kinko-Signature", max_length=128,
                                     pattern=LINE_PATTERN)],
    body: bytes = Depends(raw_body),
    s: Session = DB,
) -> dict[str, Any]:
    # Sync: the webhook's database work runs in the threadpool; only the body is read async.
    result = phone.handle_webhook(s, body=body[:10_000], timestamp=timestamp,
                                  signature=signature)
    return {"event_id": result.event_id, "matched": result.matched,
            "duplicate": getattr(result, "duplicate", False)}
