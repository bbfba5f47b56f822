"""Write, seal and verify the audit chain (LED-5, DESIGN rule 7).

``record`` is one INSERT in the caller's transaction: no hashing, no lock, so recording an
event never serialises the bank. ``seal`` links unsealed events afterwards, and ``verify``
recomputes the whole chain. Links are HMAC-SHA256 under the audit-chain key derived from the
secret key (:mod:`kinko.keys`), so someone who can write to the database but does not hold the
key cannot forge a consistent chain after editing, deleting, inserting or reordering events.
After a key rotation, links sealed under a previous key verify with it while it is configured
(``KINKO_SECRET_KEY_PREVIOUS``); ``reseal`` re-links a verified chain under the current key so
that the previous key can be dropped.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.models import AuditChainHead, AuditEvent
from kinko.db.base import insert_ignoring_conflicts, table_of
from kinko.keys import Purpose, derived_keys

GENESIS = "0" * 64
SEAL_BATCH = 1000


def _key() -> bytes:
    return derived_keys(Purpose.AUDIT_CHAIN)[0]


def canonical(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str | int,
    data: dict[str, Any] | None = None,
) -> None:
    """Append one event in the caller's transaction (so it commits or rolls back with it)."""
    session.execute(
        insert(AuditEvent).values(
            occurred_at=clock.now(),
            actor=actor,
            action=action,
            subject_type=subject_type,
            subject_id=str(subject_id),
            data=canonical(data or {}),
        )
    )


def record_values(
    *, actor: str, action: str, subject_type: str, subject_id: str | int,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The row ``record`` would insert, for callers that batch many events in one statement."""
    return {
        "occurred_at": clock.now(),
        "actor": actor,
        "action": action,
        "subject_type": subject_type,
        "subject_id": str(subject_id),
        "data": canonical(data or {}),
    }


def link(key: bytes, prev_hash: str, seq: int, event: AuditEvent | Any) -> str:
    """The chain link of one event: HMAC over its position, predecessor and full content."""
    occurred = clock.to_jst(event.occurred_at).isoformat()
    message = "\x1f".join(
        [prev_hash, str(seq), str(event.id), occurred, event.actor, event.action,
         event.subject_type, event.subject_id, event.data]
    )
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def _head_mac(key: bytes, last_seq: int, last_hash: str) -> str:
    return hmac.new(key, f"head\x1f{last_seq}\x1f{last_hash}".encode(), hashlib.sha256).hexdigest()


def _lock_head(session: Session) -> AuditChainHead:
    head = session.execute(
        select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        # First seal ever: several sealers may get here at once; one insert wins.
        insert_ignoring_conflicts(session, AuditChainHead, {
            "id": 1, "last_seq": 0, "last_hash": GENESIS,
            "head_mac": _head_mac(_key(), 0, GENESIS)})
        head = session.execute(
            select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()
        ).scalar_one()
    return head


def seal(session: Session, *, limit: int = SEAL_BATCH) -> int:
    """Link up to ``limit`` unsealed events, oldest id first; return how many were sealed.

    The head row lock makes concurrent sealers take turns; events that commit later than
    higher ids are simply linked by the next run, since the chain follows ``chain_seq``.
    """
    key = _key()
    head = _lock_head(session)
    events = session.execute(
        select(AuditEvent).where(AuditEvent.chain_seq.is_(None)).order_by(AuditEvent.id)
        .limit(limit)
    ).scalars().all()
    prev, seq = head.last_hash, head.last_seq
    rows = []
    for event in events:
        seq += 1
        digest = link(key, prev, seq, event)
        rows.append({"b_id": event.id, "seq": seq, "prev": prev, "hash": digest})
        prev = digest
    if rows:
        from sqlalchemy import bindparam

        session.connection().execute(
            update(table_of(AuditEvent))
            .where(table_of(AuditEvent).c.id == bindparam("b_id"))
            .values(chain_seq=bindparam("seq"), prev_hash=bindparam("prev"),
                    hash=bindparam("hash")),
            rows,
        )
        session.execute(
            update(AuditChainHead).where(AuditChainHead.id == 1).values(
                last_seq=seq, last_hash=prev, head_mac=_head_mac(key, seq, prev),
                sealed_at=clock.now(),
            )
        )
    session.expire_all()
    return len(rows)


def seal_all(session: Session) -> int:
    total = 0
    while n := seal(session):
        total += n
    return total


@dataclass
class VerifyReport:
    checked: int = 0
    unsealed: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _iter_sealed(session: Session) -> Iterator[AuditEvent]:
    last = 0
    while True:
        batch = session.execute(
            select(AuditEvent).where(AuditEvent.chain_seq > last).order_by(AuditEvent.chain_seq)
            .limit(SEAL_BATCH)
        ).scalars().all()
        if not batch:
            return
        yield from batch
        last = batch[-1].chain_seq or last
        session.expunge_all()


def verify(session: Session) -> VerifyReport:
    """Recompute the chain; report the first broken link, a truncated tail and unsealed events."""
    keys = derived_keys(Purpose.AUDIT_CHAIN)
    key = keys[0]
    report = VerifyReport()
    prev, expected_seq = GENESIS, 1
    for event in _iter_sealed(session):
        assert event.chain_seq is not None
        if event.chain_seq != expected_seq:
            report.problems.append(
                f"event id={event.id} seq={event.chain_seq}: expected seq {expected_seq} "
                "(an event before it was deleted or moved)"
            )
            return report
        if event.prev_hash != prev or event.hash != link(key, prev, expected_seq, event):
            # Sealed under a previous secret key (rotation)? Keep to the key that matched.
            key = next((k for k in keys if k != key
                        and event.hash == link(k, prev, expected_seq, event)), key)
        if event.prev_hash != prev or event.hash != link(key, prev, expected_seq, event):
            report.problems.append(
                f"event id={event.id} seq={event.chain_seq}: hash does not match its content "
                "or predecessor (edited, inserted or reordered)"
            )
            return report
        prev = event.hash
        expected_seq += 1
        report.checked += 1
    head = session.get(AuditChainHead, 1)
    if head is not None:
        if not any(head.head_mac == _head_mac(k, head.last_seq, head.last_hash)
                   for k in keys):
            report.problems.append("chain head: its seal does not match (edited)")
        elif head.last_seq != report.checked or head.last_hash != prev:
            report.problems.append(
                f"chain head: sealed up to seq {head.last_seq} but the chain ends at "
                f"seq {report.checked} (events at the end were deleted)"
            )
    elif report.checked:
        report.problems.append("chain head: missing while sealed events exist")
    report.unsealed = session.execute(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.chain_seq.is_(None))
    ).scalar_one()
    return report


class ChainBroken(Exception):
    """The chain does not verify, so it is not re-linked (that would hide the tampering)."""


def reseal(session: Session) -> int:
    """Verify the chain under the configured keys, then re-link every sealed event under the
    current key; returns how many were re-linked. Refuses a chain that does not verify."""
    from sqlalchemy import bindparam

    report = verify(session)
    if not report.ok:
        raise ChainBroken("; ".join(report.problems))
    key = _key()
    prev, seq, rows, total = GENESIS, 0, [], 0
    t = table_of(AuditEvent)
    statement = (update(t).where(t.c.id == bindparam("b_id"))
                 .values(prev_hash=bindparam("prev"), hash=bindparam("hash")))
    for event in _iter_sealed(session):
        seq += 1
        digest = link(key, prev, seq, event)
        rows.append({"b_id": event.id, "prev": prev, "hash": digest})
        prev = digest
        if len(rows) >= SEAL_BATCH:
            session.connection().execute(statement, rows)
            total, rows = total + len(rows), []
    if rows:
        session.connection().execute(statement, rows)
        total += len(rows)
    if seq:
        session.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(
            last_hash=prev, head_mac=_head_mac(key, seq, prev)))
    session.expire_all()
    return total
