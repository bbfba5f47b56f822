"""Request dependencies: the database of the app, and a unit of work per request."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import TypeVar

from anyio import CancelScope, CapacityLimiter, to_thread
from fastapi import Depends, Request
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from kinko.db.engine import Database
from kinko.policy.changes import refresh as refresh_policy_changes
from kinko.policy.changes import stale as policy_changes_stale

log = logging.getLogger(__name__)
T = TypeVar("T")


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


async def session(request: Request) -> AsyncIterator[Session]:
    """The request's transaction: committed if the handler returns, rolled back if it raises.

    Routes take it with ``DB`` so the commit happens before the response is sent: a client
    must never see "executed" (or use a rotated session token) for a transaction that has
    not committed yet.

    ``async`` although it owns the transaction: every trip through the threadpool costs the
    event loop and a worker thread a switch each way, and a plain ``def`` generator made two
    (opening, closing). Opening a session does no I/O (the transaction begins with the
    handler's first statement, on the handler's thread); the commit or rollback goes to the
    threadpool, unless the handler already committed on its own thread (:func:`finish`).
    """
    db = database(request)
    if policy_changes_stale():
        # Console policy changes approved by any process: read at most every 30 s, in a short
        # transaction of its own (the request's own transaction starts with its first
        # statement, and some routes write in a separate transaction before that).
        await run_in_threadpool(db.run, refresh_policy_changes)
    s = db.new_session()
    try:
        yield s
    except BaseException:
        await _ending(_roll_back, s)
        raise
    if s.info.pop(_FINISHED, False) and not _has_work(s):
        s.close()   # committed by the handler, nothing since: no I/O left
        return
    await _ending(_commit, s)


async def _ending(end: Callable[[Session], None], s: Session) -> None:
    """Commit or roll back on a worker thread, as FastAPI ends a plain ``def`` dependency:
    shielded (a request whose client went away still gives its connection back) and outside
    the threadpool's capacity limit — a commit must never wait for a thread held by a request
    that waits for this transaction's row locks."""
    with CancelScope(shield=True):
        await to_thread.run_sync(end, s, limiter=CapacityLimiter(1))


_FINISHED = "kinko.web.deps.finished"


def finish(s: Session, result: T) -> T:
    """Commit the request's transaction now, on the handler's thread, and return ``result``.

    For the busiest routes (a transfer's entry and confirmation, the balances): the request's
    commit then costs no further trip through the threadpool. Whatever the handler does after
    this is still committed by :func:`session`."""
    s.commit()
    s.info[_FINISHED] = True
    return result


def _has_work(s: Session) -> bool:
    from kinko.db.write_behind import pending

    return bool(s.in_transaction() or s.new or s.dirty or s.deleted or pending(s))


def _commit(s: Session) -> None:
    try:
        s.commit()
    except BaseException:
        s.rollback()
        raise
    finally:
        s.close()


def _roll_back(s: Session) -> None:
    try:
        s.rollback()
    finally:
        s.close()


# Function scope: the transaction commits when the handler returns, before the response goes
# out, so a client never acts on an answer whose transaction has not committed.
DB = Depends(session, scope="function")
