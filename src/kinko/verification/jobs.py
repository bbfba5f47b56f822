"""The verification sweep the batch runs (``kinko batch run``, or ``kinko verification sweep``):
mark individuals due, close cases past their deadline, delete images past their retention.
Each step in its own transaction; safe to run twice or on two machines at once (a second run
finds nothing left to do)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kinko import clock
from kinko.db.engine import Database
from kinko.policy import policy_at
from kinko.verification import service


@dataclass(frozen=True)
class SweepReport:
    due: int
    overdue: int
    images_deleted: int


def sweep(db: Database, at: datetime | None = None) -> SweepReport:
    at = at or clock.now()
    policy = policy_at(at)
    due = db.run(lambda s: service.mark_due(s, at=at, policy=policy))
    overdue = db.run(lambda s: service.expire_overdue(s, at=at, policy=policy))
    deleted = 0
    while batch := db.run(lambda s: service.delete_expired_images(s, at=at)):
        deleted += batch
    return SweepReport(len(due), len(overdue), deleted)
