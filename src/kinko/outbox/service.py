"""Enqueue after-commit work, and the registry of the handlers that carry it out.

A domain module enqueues in its own transaction and registers its topics with ``@handler``;
registering only records the function, so this module never imports a domain. The batch
runner (``kinko.batch``) imports the domains' handler modules and looks handlers up here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kinko import clock
from kinko.db import write_behind
from kinko.db.base import table_of
from kinko.outbox.models import OutboxMessage, OutboxState

Handler = Callable[[Session, dict[str, Any]], None]
_handlers: dict[str, Handler] = {}


def handler(topic: str) -> Callable[[Handler], Handler]:
    """Register the function that carries out messages of ``topic``."""

    def register(fn: Handler) -> Handler:
        _handlers[topic] = fn
        return fn

    return register


def handler_for(topic: str) -> Handler | None:
    """The function registered for ``topic``, if its module has been imported."""
    return _handlers.get(topic)


def enqueue(
    session: Session,
    topic: str,
    payload: dict[str, Any],
    *,
    due_at: datetime | None = None,
    dedupe_key: str | None = None,
) -> None:
    """Schedule work in the caller's transaction: it happens only if that transaction commits.

    The message is written at the end of the transaction with its other buffered rows
    (:mod:`kinko.db.write_behind`: one statement with the audit events on PostgreSQL); a
    query of the outbox in the same transaction still sees it. Under a ``dedupe_key`` already
    queued, it is skipped (the unique key, ``ON CONFLICT DO NOTHING``)."""
    now = clock.now()
    values = {"topic": topic, "payload": json.dumps(payload, ensure_ascii=False, default=str),
              "due_at": due_at or now, "created_at": now, "dedupe_key": dedupe_key,
              "state": OutboxState.PENDING, "attempts": 0}
    write_behind.add(session, _TABLE, values)


_TABLE = table_of(OutboxMessage)
# The outbox's one unique key besides the id is the dedupe key (a message without one cannot
# conflict): a message under a key already queued is skipped.
write_behind.ignore_conflicts(_TABLE)
