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

from sqlalchemy import insert
from sqlalchemy.orm import Session

from kinko import clock
from kinko.db.base import insert_ignoring_conflicts, table_of
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
    """Schedule work in the caller's transaction: it happens only if that transaction commits."""
    now = clock.now()
    values = {"topic": topic, "payload": json.dumps(payload, ensure_ascii=False, default=str),
              "due_at": due_at or now, "created_at": now, "dedupe_key": dedupe_key,
              "state": OutboxState.PENDING, "attempts": 0}
    if dedupe_key is None:
        session.connection().execute(_INSERT, values)
    else:
        insert_ignoring_conflicts(session, OutboxMessage, values)


# Built once; the values travel as parameters (nothing of the ORM is needed to insert a row).
_INSERT = insert(table_of(OutboxMessage))
