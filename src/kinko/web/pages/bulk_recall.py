"""The request page's online recall (組戻, BULK-1): once the value date's run has begun, the
maker or another user granted the service recalls chosen payees or the whole request, with
the recall fee. Every check is in :func:`kinko.bulk.service.recall`; a refusal is shown as
the error page with its reason."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from kinko.bulk import rules as bulk_rules
from kinko.bulk import service as bulk
from kinko.web.auth import Caller, caller
from kinko.web.deps import DB
from kinko.web.params import LINE_PATTERN, Id

router = APIRouter(prefix="/corporate", include_in_schema=False)


@router.post("/bulk/{bulk_id}/recall")
def recall_bulk(bulk_id: Id,
                scope: Annotated[str, Form(pattern="^(all|chosen)$")] = "chosen",
                line: Annotated[list[Annotated[int, Form(ge=1, le=bulk_rules.MAX_PAYEES)]],
                                Form(max_length=bulk_rules.MAX_PAYEES)] = [],  # noqa: B006
                reason: Annotated[str, Form(max_length=100, pattern=LINE_PATTERN)] = "",
                c: Caller = Depends(caller), s: Session = DB) -> Response:
    """Recall, then back to the request page, which says how many payees were recalled, the
    fee, and which were left as they were (the first 20 line numbers) and why they can be."""
    outcome = bulk.recall(s, c.actor, bulk_id, line_nos=None if scope == "all" else line,
                          reason=reason)
    query = urlencode({"recalled": len(outcome.recalled), "fee": outcome.fee,
                       "kept": len(outcome.kept),
                       "kept_lines": ",".join(str(n) for n in sorted(outcome.kept)[:20])})
    return RedirectResponse(f"/corporate/bulk/{bulk_id}?{query}#result", status_code=303)
