"""Request dependencies: the database of the app, and a unit of work per request."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from fastapi import Depends, Request
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from kinko.db.engine import Database
from kinko.policy.changes import refresh as refresh_policy_changes
from kinko.policy.changes import stale as policy_changes_stale

log = logging.getLogger(__name__)


def read_policy_changes(db: Database) -> None:
    """At start-up: the console's approved policy changes, so that the process starts with
    them and its first requests (within ``REFRESH_EVERY``) do not each pay a statement for
    them. A database that cannot answer yet only leaves them to the first request."""
    try:
        db.run(refresh_policy_changes)
    except SQLAlchemyError as exc:
        log.warning("policy changes not read at start-up (the first request reads them): %s",
                    exc)


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def session(request: Request) -> Iterator[Session]:
    """The request's transaction: committed if the handler returns, rolled back if it raises.

    Routes take it with ``DB`` so the commit happens before
    the response is sent: a client must never see "executed" (or use a rotated session
    token) for a transaction that has not committed yet.
    """
    db = database(request)
    if policy_changes_stale():
        # Console policy changes approved by any process: read at most every 30 s, in a short
        # transaction of its own (the request's own transaction starts with its first
        # statement, and some routes write in a separate transaction before that).
        db.run(refresh_policy_changes)
    with db.transaction() as s:
        yield s


# Function scope: the transaction commits when the handler returns, before the response goes
# out, so a client never acts on an answer whose transaction has not committed.
DB = Depends(session, scope="function")
