"""Run a create use case at most once per (scope, key).

The key row is inserted first, in the caller's transaction. A concurrent request with the same
key blocks on the primary key until the first commits (PostgreSQL) or queues on the write lock
(SQLite), then finds the stored response and returns it. A replay with different content is an
error, never a silent second effect.

A stored response never holds a credential: the fields in :data:`NEVER_STORED` (the session
token a step-up rotated, and the CSRF token derived from it) reach the first request only and
are left out of the row, so a replay answers the outcome without them. The caller scopes keys
to whoever may see the answer: confirmations to the user (``transfer.confirm:{user}``), since a
retry after a lost answer always comes from a new login (the answer's rotation ended the old
token), and what it gets back is that user's own instruction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kinko import clock
from kinko.db.base import insert_ignoring_conflicts
from kinko.errors import IdempotencyMismatch, ValidationFailed
from kinko.idempotency.models import IdempotencyRecord

# Credentials that may be in a use case's answer but never in the stored copy.
NEVER_STORED = frozenset({"session_token", "csrf_token"})


def storable(result: dict[str, Any]) -> dict[str, Any]:
    """``result`` without the fields that are never stored."""
    return {k: v for k, v in result.items() if k not in NEVER_STORED}


def request_hash(payload: Any) -> str:
    """A stable hash of a request's content (canonical JSON)."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def check_key(key: str) -> str:
    if not key or len(key) > 100 or not key.isprintable():
        raise ValidationFailed(detail="Idempotency-Key must be 1–100 printable characters")
    return key


def once(
    session: Session,
    *,
    scope: str,
    key: str,
    payload: Any,
    create: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """Return ``create()``'s JSON-able result, running it only for the first use of the key."""
    check_key(key)
    digest = request_hash(payload)
    inserted = insert_ignoring_conflicts(session, IdempotencyRecord, {
        "scope": scope, "key": key, "request_hash": digest, "created_at": clock.now()})
    if not inserted:
        row = session.execute(
            select(IdempotencyRecord.request_hash, IdempotencyRecord.response).where(
                IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
            )
        ).one()
        if row.request_hash != digest:
            raise IdempotencyMismatch(detail=f"{scope}/{key}")
        if row.response is None:  # only possible inside the same transaction
            raise IdempotencyMismatch(detail=f"{scope}/{key} is still in progress")
        result: dict[str, Any] = json.loads(row.response)
        result["replayed"] = True
        return result
    result = create()
    session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
        .values(response=json.dumps(storable(result), ensure_ascii=False, default=str))
    )
    return result




def replay(session: Session, *, scope: str, key: str, payload: Any) -> dict[str, Any] | None:
    """The stored response of an earlier request with this key, if any (checking that the
    content is the same); ``None`` when the key is new. For use cases that must check a
    one-time factor before :func:`once` is worth calling."""
    check_key(key)
    row = session.execute(
        select(IdempotencyRecord.request_hash, IdempotencyRecord.response).where(
            IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
    ).one_or_none()
    if row is None:
        return None
    return replayed(row.request_hash, row.response, scope=scope, key=key, payload=payload)


def replayed(stored_hash: str | None, stored_response: str | None, *, scope: str, key: str,
             payload: Any) -> dict[str, Any] | None:
    """:func:`replay` for a key row the caller read itself (with the rows it reads anyway:
    ``None, None`` when there is none)."""
    if stored_hash is None:
        return None
    if stored_hash != request_hash(payload) or stored_response is None:
        raise IdempotencyMismatch(detail=f"{scope}/{key}")
    result: dict[str, Any] = json.loads(stored_response)
    result["replayed"] = True
    return result


def store(session: Session, *, scope: str, key: str, payload: Any,
          result: dict[str, Any]) -> dict[str, Any]:
    """Record the key with its response in one INSERT, after the work (for use cases that
    checked :func:`replay` first and whose work itself cannot be done twice — a conditional
    UPDATE of its state). A key taken meanwhile by a concurrent request raises
    :class:`IdempotencyMismatch`, which undoes the caller's work."""
    check_key(key)
    inserted = insert_ignoring_conflicts(session, IdempotencyRecord, {
        "scope": scope, "key": key, "request_hash": request_hash(payload),
        "created_at": clock.now(),
        "response": json.dumps(storable(result), ensure_ascii=False, default=str)})
    if not inserted:
        raise IdempotencyMismatch(detail=f"{scope}/{key} was used by a concurrent request")
    return result
