"""Entries scheduled for a later moment (e.g. a value date), posted by the batch runner."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kinko.ledger.rules import Leg
from kinko.ledger.service import EntryRequest, post
from kinko.outbox.service import enqueue, handler

TOPIC = "ledger.post"


def schedule_entry(session: Session, entry: EntryRequest, *, due_at: datetime,
                   actor: str) -> None:
    """Post ``entry`` when due. It must carry an idempotency key: the key makes the eventual
    posting exactly-once even if the runner handles the message twice."""
    if not entry.idempotency_key:
        raise ValueError("a scheduled entry needs an idempotency key")
    enqueue(session, TOPIC, {
        "kind": entry.kind, "memo": entry.memo, "key": entry.idempotency_key, "actor": actor,
        "value_date": entry.value_date.isoformat() if entry.value_date else None,
        "legs": [[leg.account_id, leg.amount, leg.description] for leg in entry.legs],
    }, due_at=due_at, dedupe_key=f"{TOPIC}:{entry.idempotency_key}")


@handler(TOPIC)
def _post_scheduled(session: Session, payload: dict[str, Any]) -> None:
    from datetime import date

    post(session, EntryRequest(
        kind=payload["kind"], memo=payload["memo"], idempotency_key=payload["key"],
        value_date=date.fromisoformat(payload["value_date"]) if payload["value_date"] else None,
        legs=[Leg(a, m, d) for a, m, d in payload["legs"]],
    ), actor=payload["actor"])
