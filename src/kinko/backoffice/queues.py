"""The back office's work queues (OPS-2), defined in one place.

Each queue is one entry of ``QUEUES``: a key (its title is the message catalogue's
``queue.KEY``), its columns (codes of ``queue_column``), and two functions of a session —
how many items wait and the oldest items to show. The console's home shows every count and
each queue has its own page (``/operator/queues/{key}``), so a new queue is one entry here. A
queue whose source is not recorded on this installation yet says so instead of showing zero as
if it had been checked.

A cell that holds a code (a product, a state, an action) is a :class:`Code`: the page shows
the catalogue's words for it in the operator's language, never the raw value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from kinko import clock
from kinko.auth.models import AuthUser, CompromiseReport, UserState
from kinko.backoffice.models import ApprovalRequest, ApprovalState
from kinko.notifications.models import EmailBounce
from kinko.policy import current_policy
from kinko.transfers.models import Recall, RecallState

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Code:
    """A code of a catalogue group (``kinko.web.messages``), shown as words; ``suffix`` follows
    the words as it is (a subject's ``#id``)."""

    group: str
    value: str
    suffix: str = ""


@dataclass(frozen=True)
class Queue:
    key: str                 # its title is the catalogue's ``queue.KEY``
    columns: tuple[str, ...]  # headings: codes of the catalogue's ``queue_column`` group
    count: Callable[[Session], int]
    rows: Callable[[Session, int], Sequence[Row]]
    # Where the items are worked on, when that is another page of the console.
    work_page: str | None = None
    # False: the source of this queue is not recorded on this installation yet.
    available: bool = True


def _count(session: Session, query: Select[Any] | Select[AuthUser, datetime]) -> int:
    return int(session.execute(select(func.count()).select_from(query.subquery())
                               ).scalar_one())


def _when(value: datetime | None) -> str:
    return "—" if value is None else clock.to_jst(value).strftime("%Y-%m-%d %H:%M")


# --- blocked users (AUTH-6, SUSP-1) ----------------------------------------------------------

def _blocked() -> Select[Any]:
    return select(AuthUser).where(AuthUser.state != UserState.ACTIVE)


# The reasons the services record in a user's state_reason that are codes, not free text.
_COMPROMISE = "compromise report: "
_REASONS = {"suspended by the contract": Code("state_reason", "contract_suspended")}


def _reason(text: str | None) -> Code | str:
    if text and text.startswith(_COMPROMISE):
        return Code("compromise_reason", text.removeprefix(_COMPROMISE))
    return _REASONS.get(text or "", text or "")


def _blocked_rows(session: Session, limit: int) -> Sequence[Row]:
    users = session.execute(_blocked().order_by(AuthUser.id).limit(limit)).scalars()
    return [(u.id, Code("product", u.product.value), u.login_id or "—",
             Code("user_state", u.state.value), _when(u.locked_until), _reason(u.state_reason))
            for u in users]


# --- recalls (XFER-5) -----------------------------------------------------------------------

def _recalls() -> Select[Any]:
    return select(Recall).where(Recall.state == RecallState.REQUESTED)


def _recall_rows(session: Session, limit: int) -> Sequence[Row]:
    rows = session.execute(_recalls().order_by(Recall.requested_at).limit(limit)).scalars()
    return [(r.id, r.instruction_id, r.reason, r.fee, _when(r.requested_at)) for r in rows]


# --- compromise reports (CRED-6) -------------------------------------------------------------

def _reports() -> Select[Any]:
    return select(CompromiseReport).where(CompromiseReport.resumed_at.is_(None))


def _report_rows(session: Session, limit: int) -> Sequence[Row]:
    rows = session.execute(_reports().order_by(CompromiseReport.id).limit(limit)).scalars()
    return [(r.id, r.user_id, Code("compromise_scope", r.scope.value),
             Code("credential", r.credential), r.channel, _when(r.reported_at)) for r in rows]


# --- e-mail bounces (CTR-2) -----------------------------------------------------------------

def _bounces() -> Select[Any]:
    return select(EmailBounce).where(EmailBounce.cleared_at.is_(None))


def _bounce_rows(session: Session, limit: int) -> Sequence[Row]:
    rows = session.execute(_bounces().order_by(EmailBounce.first_bounced_at).limit(limit)
                           ).scalars()
    return [(b.address, b.count, _when(b.first_bounced_at), _when(b.last_bounced_at),
             b.last_reason) for b in rows]


# --- termination candidates (CTR-2) ---------------------------------------------------------

def _limits() -> tuple[datetime, datetime]:
    contract = current_policy().contract
    now = clock.now()
    unused_since = now - timedelta(days=365 * contract.inactivity_termination_years)
    bouncing_since = now - timedelta(days=31 * contract.email_bounce_termination_months)
    return unused_since, bouncing_since


def _candidates() -> Select[AuthUser, datetime]:
    unused_since, bouncing_since = _limits()
    last_use = func.coalesce(AuthUser.last_login_at, AuthUser.created_at)
    bouncing = select(EmailBounce.address).where(EmailBounce.cleared_at.is_(None),
                                                 EmailBounce.first_bounced_at <= bouncing_since)
    return select(AuthUser, last_use.label("last_use")).where(
        or_(last_use <= unused_since, func.lower(AuthUser.email).in_(bouncing)))


def _candidate_rows(session: Session, limit: int) -> Sequence[Row]:
    unused_since, _ = _limits()
    out = []
    for user, last_use in session.execute(_candidates().order_by(AuthUser.id).limit(limit)):
        unused = clock.to_jst(last_use) <= unused_since
        why = "no use for a year / 1年以上利用なし" if unused else \
            "e-mail bouncing / メール不達"
        out.append((user.id, Code("product", user.product.value), user.login_id or "—",
                    _when(last_use), why))
    return out


# --- pending four-eyes approvals (OPS-1) ----------------------------------------------------

def _approvals() -> Select[Any]:
    return select(ApprovalRequest).where(ApprovalRequest.state == ApprovalState.PENDING,
                                         ApprovalRequest.expires_at > clock.now())


def _approval_rows(session: Session, limit: int) -> Sequence[Row]:
    rows = session.execute(_approvals().order_by(ApprovalRequest.requested_at).limit(limit)
                           ).scalars()
    return [(r.id, Code("operator_action", r.action),
             Code("subject_type", r.subject_type, f" #{r.subject_id}"), r.reason,
             r.requested_by, _when(r.requested_at)) for r in rows]


def _nothing(_session: Session, _limit: int = 0) -> Sequence[Row]:
    return []


def _zero(_session: Session) -> int:
    return 0


QUEUES: dict[str, Queue] = {q.key: q for q in (
    Queue("blocked-users",
          ("user", "product", "id", "state", "locked_until", "reason"),
          lambda s: _count(s, _blocked()), _blocked_rows, work_page="/operator"),
    Queue("recalls",
          ("number", "instruction", "reason", "fee", "requested"),
          lambda s: _count(s, _recalls()), _recall_rows, work_page="/operator/recalls"),
    Queue("compromise-reports",
          ("number", "user", "scope", "credential", "channel", "at"),
          lambda s: _count(s, _reports()), _report_rows, work_page="/operator"),
    # Sources that other parts of Kinko record; on an installation without them the queue
    # says "not recorded" rather than a reassuring 0.
    Queue("compensation-claims",
          ("number",), _zero, _nothing, available=False),
    Queue("kyc-reviews",
          ("number",), _zero, _nothing, available=False),
    Queue("returned-mail",
          ("number",), _zero, _nothing, available=False),
    Queue("email-bounces",
          ("address", "count", "first", "last", "reason"),
          lambda s: _count(s, _bounces()), _bounce_rows),
    Queue("termination-candidates",
          ("user", "product", "id", "last_use", "why"),
          lambda s: _count(s, _candidates()), _candidate_rows),
    Queue("approvals",
          ("number", "action", "subject", "reason", "asked_by", "at"),
          lambda s: _count(s, _approvals()), _approval_rows, work_page="/operator"),
)}


def counts(session: Session) -> dict[str, int | None]:
    """Every queue's count for the console home; None for a queue not available here."""
    return {key: (q.count(session) if q.available else None) for key, q in QUEUES.items()}
