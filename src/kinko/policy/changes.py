"""Console policy changes laid over the policy file, in every process (POL-1).

``refresh(session)`` reads the approved changes and installs them in the policy store, so
``policy_at``/``current_policy`` answer with them from their effective dates. The web app
reads them at start-up, then again at most every ``REFRESH_EVERY`` per process (checked with a
monotonic clock before a request's session, at no cost in between), the batch at each run,
and the approving request at once. Changes are dated ahead, so a process that learns of a
change a few seconds late still applies it from its date.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kinko.policy.models import PolicyChange
from kinko.policy.store import Change, install_changes, installed_at

REFRESH_EVERY = 30.0   # seconds
NOTICE_AFTER = timedelta(days=30)   # how long a notice stays after its effective date


def approved(session: Session) -> Sequence[PolicyChange]:
    return session.execute(select(PolicyChange).order_by(PolicyChange.effective_from)
                           ).scalars().all()


def refresh(session: Session) -> None:
    install_changes(tuple(Change.of(r.effective_from, json.loads(r.overrides), r.note)
                          for r in approved(session)))


def stale() -> bool:
    """Whether this process last read the approved changes more than REFRESH_EVERY ago."""
    return time.monotonic() - installed_at() >= REFRESH_EVERY


def refresh_if_stale(session: Session) -> None:
    if stale():
        refresh(session)


@dataclass(frozen=True)
class Notice:
    effective_from: datetime
    text_ja: str
    text_en: str


def notices(session: Session, at: datetime) -> list[Notice]:
    """Announcements to customers: from approval until ``NOTICE_AFTER`` past the date."""
    rows = session.execute(
        select(PolicyChange).where(PolicyChange.approved_at <= at,
                                   PolicyChange.effective_from >= at - NOTICE_AFTER,
                                   PolicyChange.notice_ja != "")
        .order_by(PolicyChange.effective_from)).scalars().all()
    return [Notice(r.effective_from, r.notice_ja, r.notice_en or r.notice_ja) for r in rows]
