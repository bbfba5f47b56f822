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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit import buffer
from kinko.audit.models import AuditChainHead, AuditEvent
from kinko.db.base import insert_ignoring_conflicts, table_of
from kinko.keys import Purpose, derived_keys

GENESIS = "0" * 64
# Events linked per sealer transaction: big enough that the per-batch round trips vanish in
# the per-event cost, small enough that the head row is held for a fraction of a second.
SEAL_BATCH = 10_000
VERIFY_BLOCK = 10_000


def _is_pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


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
    """Append one event in the caller's transaction (so it commits or rolls back with it).

    The event is buffered on the session and written with the request's other events in one
    multi-row INSERT just before the commit (or before anything reads the audit table in the
    same transaction); a savepoint rolled back drops the events recorded inside it, as the
    INSERT would have been undone. See :mod:`kinko.audit.buffer`.
    """
    buffer.add(session, record_values(actor=actor, action=action, subject_type=subject_type,
                                      subject_id=subject_id, data=data))


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
    return _mac(key, f"{prev_hash}\x1f{seq}\x1f" + _content(
        event.id, event.occurred_at, event.actor, event.action, event.subject_type,
        event.subject_id, event.data))


def _content(event_id: int, occurred_at: datetime, actor: str, action: str,
             subject_type: str, subject_id: str, data: str) -> str:
    """What a link covers of the event itself. ``_PG_CONTENT`` builds the same text in SQL."""
    occurred = clock.to_jst(occurred_at).isoformat()
    return (f"{event_id}\x1f{occurred}\x1f{actor}\x1f{action}\x1f{subject_type}"
            f"\x1f{subject_id}\x1f{data}")


def _mac(key: bytes, message: str) -> str:
    # OpenSSL's one-shot HMAC: the sealer and the verifier call this once per event.
    return hmac.digest(key, message.encode(), "sha256").hex()


# ``_content`` in SQL, so that PostgreSQL formats the time (in Japan time, as isoformat does:
# no fraction when the microseconds are zero) and joins the fields, and Python only hashes.
# tests/audit pins the two to the same text.
_PG_JST = "(occurred_at AT TIME ZONE 'Asia/Tokyo')"
_PG_CONTENT = (
    "concat_ws(chr(31), id, "
    f"to_char({_PG_JST}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
    "CASE WHEN mod(date_part('microseconds', occurred_at)::bigint, 1000000) = 0 THEN '' "
    f"ELSE to_char({_PG_JST}, '.US') END || '+09:00', "
    "actor, action, subject_type, subject_id, data)"
)


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


def _unsealed(session: Session, limit: int) -> list[tuple[int, str]]:
    """The oldest unsealed events as (id, content) (the partial index
    ix_audit_events_unsealed_id holds exactly these, in id order)."""
    if _is_pg(session):
        rows = session.connection().exec_driver_sql(
            f"SELECT id, {_PG_CONTENT} FROM audit_events WHERE chain_seq IS NULL "  # noqa: S608
            "ORDER BY id LIMIT %(n)s", {"n": limit}).all()
        return [(r[0], r[1]) for r in rows]
    e = AuditEvent
    return [(r[0], _content(*r)) for r in session.execute(
        select(e.id, e.occurred_at, e.actor, e.action, e.subject_type, e.subject_id, e.data)
        .where(e.chain_seq.is_(None)).order_by(e.id).limit(limit)
    ).all()]


def _write_links(session: Session, ids: list[int], first_seq: int, prevs: list[str],
                 hashes: list[str]) -> None:
    if _is_pg(session):
        # One UPDATE joined to the batch as arrays: one round trip and one plan for the whole
        # batch instead of a statement per event.
        # The id range (the batch is read in id order) keeps the join to the batch's own
        # rows: without it the planner hashes the whole table, a cost that grows with the log.
        # The ids and links travel as two comma-separated texts (adapting two lists of 10,000
        # values cost the client more than the UPDATE cost the server), and each event's
        # predecessor is the link before it in the batch (the first one's is given).
        session.connection().exec_driver_sql(
            "UPDATE audit_events a SET chain_seq = %(base)s::bigint + v.n, "
            "prev_hash = coalesce(v.prev, %(first)s), hash = v.hash "
            "FROM (SELECT u.id, u.hash, u.n, lag(u.hash) OVER (ORDER BY u.n) AS prev "
            "      FROM unnest(string_to_array(%(ids)s, ',')::bigint[], "
            "                  string_to_array(%(hashes)s, ',')) WITH ORDINALITY "
            "           AS u(id, hash, n)) v "
            "WHERE a.id = v.id AND a.id BETWEEN %(low)s AND %(high)s",
            {"ids": ",".join(map(str, ids)), "hashes": ",".join(hashes), "first": prevs[0],
             "base": first_seq - 1, "low": ids[0], "high": ids[-1]})
        return
    table = table_of(AuditEvent)
    session.connection().execute(
        update(table).where(table.c.id == bindparam("b_id"))
        .values(chain_seq=bindparam("seq"), prev_hash=bindparam("prev"), hash=bindparam("hash")),
        [{"b_id": i, "seq": first_seq + n, "prev": p, "hash": h}
         for n, (i, p, h) in enumerate(zip(ids, prevs, hashes, strict=True))],
    )


def seal(session: Session, *, limit: int = SEAL_BATCH) -> int:
    """Link up to ``limit`` unsealed events, oldest id first; return how many were sealed.

    The head row lock makes concurrent sealers take turns; events that commit later than
    higher ids are simply linked by the next run, since the chain follows ``chain_seq``.
    """
    key = _key()
    buffer.flush(session)
    head = _lock_head(session)
    events = _unsealed(session, limit)
    if not events:
        return 0
    prev, seq = head.last_hash, head.last_seq
    first_seq = seq + 1
    ids: list[int] = []
    prevs: list[str] = []
    hashes: list[str] = []
    # The tight loop: one-shot HMAC, bound locally (this is the sealer's per-event cost).
    mac, add_id, add_prev, add_hash = hmac.digest, ids.append, prevs.append, hashes.append
    for event_id, content in events:
        seq += 1
        digest = mac(key, f"{prev}\x1f{seq}\x1f{content}".encode(), "sha256").hex()
        add_id(event_id)
        add_prev(prev)
        add_hash(digest)
        prev = digest
    _write_links(session, ids, first_seq, prevs, hashes)
    session.execute(
        update(AuditChainHead).where(AuditChainHead.id == 1).values(
            last_seq=seq, last_hash=prev, head_mac=_head_mac(key, seq, prev),
            sealed_at=clock.now(),
        )
    )
    session.expire_all()
    return len(ids)


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


# A sealed event as the verifier reads it: (id, chain_seq, prev_hash, hash, message), where
# message is what its hash covers when the stored predecessor and position are the right ones.
Sealed = tuple[int, int | None, str | None, str | None, str]


def _sealed_blocks(session: Session) -> Iterator[Sequence[Sealed]]:
    """Every sealed event in chain order, in blocks of VERIFY_BLOCK."""
    if _is_pg(session):
        # A server-side cursor: one query, rows arrive in blocks as the loop consumes them.
        dbapi = session.connection().connection.driver_connection
        assert dbapi is not None
        with dbapi.cursor(name="kinko_audit_verify") as cursor:
            cursor.execute(
                "SELECT id, chain_seq, prev_hash, hash, concat_ws(chr(31), prev_hash, "  # noqa: S608
                f"chain_seq, {_PG_CONTENT}) FROM audit_events WHERE chain_seq IS NOT NULL "
                "ORDER BY chain_seq")
            while rows := cursor.fetchmany(VERIFY_BLOCK):
                yield rows
        return
    e = AuditEvent
    last = None
    while True:
        stmt = select(e.id, e.occurred_at, e.actor, e.action, e.subject_type, e.subject_id,
                      e.data, e.chain_seq, e.prev_hash, e.hash).where(e.chain_seq.is_not(None))
        if last is not None:
            stmt = stmt.where(e.chain_seq > last)
        batch = session.execute(stmt.order_by(e.chain_seq).limit(VERIFY_BLOCK)).all()
        if not batch:
            return
        yield [(r[0], r[7], r[8], r[9], f"{r[8]}\x1f{r[7]}\x1f" + _content(*r[:7]))
               for r in batch]
        last = batch[-1][7]


def verify(session: Session) -> VerifyReport:
    """Recompute the chain; report the first broken link, a truncated tail and unsealed events."""
    keys = derived_keys(Purpose.AUDIT_CHAIN)
    key = keys[0]
    report = VerifyReport()
    prev, expected_seq = GENESIS, 1
    digest = hmac.digest
    for block in _sealed_blocks(session):
        for event_id, chain_seq, prev_hash, event_hash, message in block:
            if chain_seq != expected_seq:
                report.problems.append(
                    f"event id={event_id} seq={chain_seq}: expected seq {expected_seq} "
                    "(an event before it was deleted or moved)"
                )
                report.checked = expected_seq - 1
                return report
            # The message holds the stored predecessor and position, which are only the
            # right ones when they match what the chain so far says they must be.
            if prev_hash == prev and event_hash != digest(key, message.encode(),
                                                          "sha256").hex():
                # Sealed under a previous secret key (rotation)? Keep to the key that matched.
                key = next((k for k in keys if k != key and event_hash == digest(
                    k, message.encode(), "sha256").hex()), key)
            if prev_hash != prev or event_hash != digest(key, message.encode(),
                                                         "sha256").hex():
                report.problems.append(
                    f"event id={event_id} seq={chain_seq}: hash does not match its content "
                    "or predecessor (edited, inserted or reordered)"
                )
                report.checked = expected_seq - 1
                return report
            prev = event_hash
            expected_seq += 1
        report.checked = expected_seq - 1
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
