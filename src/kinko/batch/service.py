"""The due-work runner (DESIGN rules 4 and 5).

Domains enqueue work and register the handler of each topic in the outbox (``kinko.outbox``,
part of the foundation); this runner sits above the domains, imports their handler modules
(``kinko.batch.handlers``) and carries the work out. It claims one due message at a time with
``FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite has one writer and simply takes them in order)
and runs its handler in that same transaction, then marks it done — so any number of runners
can work side by side, and running the batch twice does nothing twice. A handler that fails is
rolled back and retried later with backoff; after ``MAX_ATTEMPTS`` it is marked failed for an
operator to look at.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kinko import clock
from kinko.db.engine import Database
from kinko.outbox.models import OutboxMessage, OutboxState
from kinko.outbox.service import handler_for

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


@dataclass
class RunReport:
    done: int = 0
    failed: int = 0
    retried: int = 0
    sealed: int = 0
    tokens_renewed: int = 0
    voided: int = 0   # drafts past their confirmation deadline
    by_topic: dict[str, int] = field(default_factory=dict)


def _claim(session: Session, at: datetime) -> OutboxMessage | None:
    return session.execute(
        select(OutboxMessage)
        .where(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.due_at <= at)
        .order_by(OutboxMessage.due_at, OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).scalar_one_or_none()


def _run_one(session: Session, at: datetime) -> tuple[str, int, str] | None:
    message = _claim(session, at)
    if message is None:
        return None
    fn = handler_for(message.topic)
    # A savepoint keeps the claim (and lets us record the failure) if the handler fails.
    try:
        if fn is None:
            raise LookupError(f"no handler for topic {message.topic!r}")
        with session.begin_nested():
            fn(session, json.loads(message.payload))
    except Exception as exc:
        attempts = message.attempts + 1
        state = OutboxState.FAILED if attempts >= MAX_ATTEMPTS else OutboxState.PENDING
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message.id).values(
                attempts=attempts, state=state, last_error=f"{type(exc).__name__}: {exc}",
                due_at=at + timedelta(seconds=min(3600, 2**attempts * 15)),
            )
        )
        log.warning("outbox %s (%s) failed: %s", message.id, message.topic, exc)
        return message.topic, message.id, state.value
    session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message.id).values(
            state=OutboxState.DONE, done_at=clock.now(), attempts=message.attempts + 1,
        )
    )
    return message.topic, message.id, "done"


def load_runner() -> None:
    """Import what a run needs: every handler and the end-of-run jobs. ``run_due`` does it on
    its first call (half a second or more in a fresh process); a bench calls it before its
    clock starts, as a runner that has run before has it done."""
    import kinko.audit.service
    import kinko.auth.throttle
    import kinko.instructions.drafts
    import kinko.onboarding.renewals
    import kinko.policy.changes
    import kinko.verification.jobs  # noqa: F401
    from kinko.batch.handlers import load_handlers

    load_handlers()


def run_due(db: Database, *, at: datetime | None = None, limit: int | None = None,
            progress: Callable[[RunReport], None] | None = None) -> RunReport:
    """Carry out everything due at ``at`` (default now), each message in its own transaction,
    void the drafts past their confirmation deadline, then seal the audit chain and prune the
    login throttle."""
    from kinko.audit.service import seal
    from kinko.auth.throttle import prune as prune_throttle
    from kinko.batch.handlers import load_handlers
    from kinko.instructions.drafts import void_stale
    from kinko.onboarding.renewals import mail_token_renewals
    from kinko.policy.changes import refresh as refresh_policy
    from kinko.verification.jobs import sweep as verification_sweep

    load_handlers()
    # Policy changes approved in the console since this process last looked (POL-1).
    db.run(refresh_policy)
    at = at or clock.now()
    report = RunReport()
    while limit is None or report.done + report.failed + report.retried < limit:
        outcome = db.run(_run_one, at)
        if outcome is None:
            break
        topic, _, state = outcome
        if state == "done":
            report.done += 1
            report.by_topic[topic] = report.by_topic.get(topic, 0) + 1
        elif state == "failed":
            report.failed += 1
        else:
            report.retried += 1
        if progress:
            progress(report)
    # CRED-1: mail a new hard token before the old one expires (kinko.onboarding.renewals).
    report.tokens_renewed = db.run(mail_token_renewals)
    # Drafts left unconfirmed past their deadline become void (INS-1), read or not.
    report.voided = db.run(lambda s: void_stale(s, now=at))
    while sealed := db.run(seal):
        report.sealed += sealed
    # Ended login-throttle windows and long-idle unknown-ID counters (kinko.auth.throttle).
    db.run(prune_throttle, at)
    # Periodic verification by face: due individuals, missed deadlines, expired images.
    verification_sweep(db, at)
    return report
