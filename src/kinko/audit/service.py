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

import binascii
import hashlib
import hmac
import json
import queue
import threading
from collections.abc import Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from itertools import repeat
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit import buffer
from kinko.audit.models import AuditChainHead, AuditEvent, AuditLink
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


def _settled_bound(session: Session, head: AuditChainHead
                   ) -> tuple[int, int | None, str | None]:
    """(bound, pending_id, pending_holders): every event with an id up to ``bound`` is now
    committed (and visible to the next statement) or will never be; and what the next run
    may settle.

    Events get their ids from a sequence when they are inserted and commit later, so an id can
    become visible after higher ones. A transaction that draws an id holds a RowExclusive lock
    on ``audit_events`` from before the draw until it ends. So: read the sequence (S), then
    the transactions holding such a lock. If there are none, every id up to S is settled. If
    there are, remember (S, them): once none of them is alive any more — seen by a later run,
    whose next statement then takes a new snapshot (READ COMMITTED) — every id up to S is
    settled. Under any other isolation level the snapshot is older, and nothing is settled.
    """
    conn = session.connection()
    last = conn.exec_driver_sql(
        "SELECT coalesce(pg_sequence_last_value("
        "pg_get_serial_sequence('audit_events', 'id')::regclass), 0)").scalar_one()
    isolation, holders, alive = conn.exec_driver_sql(
        "SELECT current_setting('transaction_isolation'), "
        "(SELECT string_agg(DISTINCT virtualtransaction, ',') FROM pg_locks "
        " WHERE locktype = 'relation' AND relation = 'audit_events'::regclass "
        "   AND mode IN ('RowExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock', "
        "                'AccessExclusiveLock') "
        "   AND pid IS DISTINCT FROM pg_backend_pid()), "
        "EXISTS (SELECT 1 FROM pg_locks "
        "        WHERE virtualtransaction = ANY(string_to_array(%(pending)s, ',')))",
        {"pending": head.pending_holders or ""}).one()
    if isolation != "read committed":  # pragma: no cover - Kinko's transactions are
        return head.floor_id, head.pending_id, head.pending_holders
    if not holders:
        return int(last), None, None
    bound = head.floor_id
    if head.pending_holders and head.pending_id is not None and not alive:
        bound = max(bound, head.pending_id)
    return bound, int(last), holders


def _unsealed(session: Session, floor: int, limit: int) -> Iterator[tuple[int, bytes]]:
    """The oldest unlinked events above the floor as (id, content as UTF-8), in id order."""
    if _is_pg(session):
        # Binary COPY out: the server keeps formatting rows while the client hashes the ones
        # already received (a plain SELECT would first wait for the whole batch).
        dbapi = session.connection().connection.driver_connection
        assert dbapi is not None
        with dbapi.cursor() as cursor, cursor.copy(
                f"COPY (SELECT id, convert_to({_PG_CONTENT}, 'UTF8') "  # noqa: S608
                "FROM audit_events e WHERE id > %s "
                "AND NOT EXISTS (SELECT 1 FROM audit_links l WHERE l.event_id = e.id) "
                "ORDER BY id LIMIT %s) TO STDOUT (FORMAT BINARY)",
                (floor, limit)) as copy:
            copy.set_types(["int8", "bytea"])
            yield from copy.rows()
        return
    e = AuditEvent
    linked = select(AuditLink.event_id).where(AuditLink.event_id == e.id).exists()
    for r in session.execute(
            select(e.id, e.occurred_at, e.actor, e.action, e.subject_type, e.subject_id, e.data)
            .where(e.id > floor, ~linked).order_by(e.id).limit(limit)).all():
        yield r[0], _content(*r).encode()


def _write_links(session: Session, ids: list[int], first_seq: int, prevs: list[bytes],
                 hashes: list[bytes]) -> None:
    if _is_pg(session):
        # COPY of narrow append-only rows: no event row is rewritten (an UPDATE made a new
        # version of every event with three index entries), and the text needs no escaping
        # (numbers and hex).
        dbapi = session.connection().connection.driver_connection
        assert dbapi is not None
        lines = b"".join([b"%d\t%d\t%s\t%s\n" % (first_seq + n, i, p, h)
                          for n, (i, p, h) in enumerate(zip(ids, prevs, hashes, strict=True))])
        with dbapi.cursor() as cursor, cursor.copy(
                "COPY audit_links (seq, event_id, prev_hash, hash) FROM STDIN") as copy:
            copy.write(lines)
        return
    session.execute(insert(AuditLink), [
        {"seq": first_seq + n, "event_id": i, "prev_hash": p.decode(), "hash": h.decode()}
        for n, (i, p, h) in enumerate(zip(ids, prevs, hashes, strict=True))])


def seal(session: Session, *, limit: int = SEAL_BATCH) -> int:
    """Link up to ``limit`` unsealed events, oldest id first; return how many were sealed.

    The head row lock makes concurrent sealers take turns; events that commit later than
    higher ids are simply linked by a later run, since the chain follows ``seq``.
    """
    key = _key()
    buffer.flush(session)
    head = _lock_head(session)
    if _is_pg(session):
        bound, pending_id, pending_holders = _settled_bound(session, head)
    else:
        # SQLite has one writer, and this transaction is it (BEGIN IMMEDIATE): every event
        # there is is committed, or is this transaction's own.
        bound = session.execute(select(func.coalesce(func.max(AuditEvent.id), 0))).scalar_one()
        pending_id, pending_holders = None, None
    floor = head.floor_id
    prev, seq = head.last_hash.encode(), head.last_seq
    first_seq = seq + 1
    ids: list[int] = []
    prevs: list[bytes] = []
    hashes: list[bytes] = []
    # The tight loop: one-shot HMAC, bound locally (this is the sealer's per-event cost).
    mac, hexlify = hmac.digest, binascii.hexlify
    add_id, add_prev, add_hash = ids.append, prevs.append, hashes.append
    for event_id, content in _unsealed(session, floor, limit):
        seq += 1
        digest = hexlify(mac(key, b"%s\x1f%d\x1f%s" % (prev, seq, content), "sha256"))
        add_id(event_id)
        add_prev(prev)
        add_hash(digest)
        prev = digest
    # Every unlinked event up to the last one read is linked now (they were read in id order);
    # if fewer than the limit were read, every unlinked one up to the bound is.
    new_floor = max(floor, bound if len(ids) < limit else min(bound, ids[-1]))
    values: dict[str, Any] = {}
    if ids:
        _write_links(session, ids, first_seq, prevs, hashes)
        last = prev.decode()
        values = {"last_seq": seq, "last_hash": last, "head_mac": _head_mac(key, seq, last),
                  "sealed_at": clock.now()}
    if (values or new_floor != floor or (pending_id, pending_holders)
            != (head.pending_id, head.pending_holders)):
        session.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(
            floor_id=new_floor, pending_id=pending_id, pending_holders=pending_holders,
            **values))
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


# A link as the verifier reads it: (seq, event_id, event exists, prev_hash, hash, message),
# where message is what its hash covers when the stored predecessor and position are the
# right ones.
Sealed = tuple[int, int, bool, str, str, bytes]


def _pg_sealed_blocks(session: Session) -> Iterator[Sequence[Sealed]]:
    """A server-side cursor (one query, rows in blocks; binary, so the message arrives as the
    very bytes to hash), fetched by a helper thread: the server reads and formats the next
    block while this thread hashes the current one. Only one thread uses the connection at a
    time: the helper until the blocks end or the reader stops early, then the caller."""
    dbapi = session.connection().connection.driver_connection
    assert dbapi is not None
    blocks: queue.Queue[Sequence[Sealed] | BaseException] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def fetch() -> None:
        try:
            with dbapi.cursor(name="kinko_audit_verify", binary=True) as cursor:
                cursor.execute(
                    "SELECT l.seq, l.event_id, e.id IS NOT NULL, l.prev_hash, "  # noqa: S608
                    "l.hash, convert_to(concat_ws(chr(31), l.prev_hash, l.seq, "
                    f"{_PG_CONTENT}), 'UTF8') "
                    "FROM audit_links l LEFT JOIN audit_events e ON e.id = l.event_id "
                    "ORDER BY l.seq")
                while not stop.is_set():
                    rows = cursor.fetchmany(VERIFY_BLOCK)
                    blocks.put(rows)
                    if not rows:
                        return
        except BaseException as exc:  # handed to the reader, which raises it
            blocks.put(exc)

    helper = threading.Thread(target=fetch, name="kinko-audit-verify", daemon=True)
    helper.start()
    try:
        while True:
            item = blocks.get()
            if isinstance(item, BaseException):
                raise item
            if not item:
                return
            yield item
    finally:
        stop.set()
        while helper.is_alive():   # let a helper blocked on a full queue finish and close
            with suppress(queue.Empty):
                blocks.get(timeout=0.05)
        helper.join()


def _sealed_blocks(session: Session) -> Iterator[Sequence[Sealed]]:
    """Every link in chain order with its event, in blocks of VERIFY_BLOCK."""
    if _is_pg(session):
        yield from _pg_sealed_blocks(session)
        return
    e, lk = AuditEvent, AuditLink
    last = 0
    while True:
        batch = session.execute(
            select(lk.seq, lk.event_id, lk.prev_hash, lk.hash, e.id, e.occurred_at, e.actor,
                   e.action, e.subject_type, e.subject_id, e.data)
            .outerjoin(e, e.id == lk.event_id).where(lk.seq > last)
            .order_by(lk.seq).limit(VERIFY_BLOCK)).all()
        if not batch:
            return
        yield [(r[0], r[1], r[4] is not None, r[2], r[3],
                (f"{r[2]}\x1f{r[0]}\x1f" + _content(*r[4:])).encode()
                if r[4] is not None else b"") for r in batch]
        last = batch[-1][0]


def _block_intact(block: Sequence[Sealed], key: bytes, prev: str, first_seq: int) -> bool:
    """Whether a whole block holds under ``key``: consecutive positions from ``first_seq``,
    every event present, each link's predecessor the link before it (the first one ``prev``),
    and every hash the HMAC of its message. Column-wise, so that the per-event work is the
    HMAC itself (map and list comparisons run in C)."""
    seqs, _, exists, prevs, hashes, messages = zip(*block, strict=True)
    return (seqs == tuple(range(first_seq, first_seq + len(block))) and all(exists)
            and prevs[0] == prev and prevs[1:] == hashes[:-1]
            and tuple(map(bytes.hex, map(partial(hmac.digest, key), messages,
                                         repeat("sha256")))) == hashes)


def verify(session: Session) -> VerifyReport:
    """Recompute the chain; report the first broken link, a truncated tail and unsealed events."""
    keys = derived_keys(Purpose.AUDIT_CHAIN)
    key = keys[0]
    report = VerifyReport()
    prev, expected_seq = GENESIS, 1
    digest = hmac.digest
    for block in _sealed_blocks(session):
        if _block_intact(block, key, prev, expected_seq):
            prev = block[-1][4]
            expected_seq += len(block)
            report.checked = expected_seq - 1
            continue
        # Something in this block does not hold under the current key: event by event, to
        # name the first bad one (or to find the previous key it was sealed under).
        for chain_seq, event_id, exists, prev_hash, event_hash, message in block:
            if chain_seq != expected_seq:
                report.problems.append(
                    f"event id={event_id} seq={chain_seq}: expected seq {expected_seq} "
                    "(an event before it was deleted or moved)"
                )
                report.checked = expected_seq - 1
                return report
            if not exists:
                report.problems.append(
                    f"event id={event_id} seq={chain_seq}: the sealed event is missing "
                    "(deleted)")
                report.checked = expected_seq - 1
                return report
            # The message holds the stored predecessor and position, which are only the
            # right ones when they match what the chain so far says they must be.
            if prev_hash == prev and event_hash != digest(key, message, "sha256").hex():
                # Sealed under a previous secret key (rotation)? Keep to the key that matched.
                key = next((k for k in keys if k != key and event_hash == digest(
                    k, message, "sha256").hex()), key)
            if prev_hash != prev or event_hash != digest(key, message, "sha256").hex():
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
    linked = select(AuditLink.event_id).where(AuditLink.event_id == AuditEvent.id).exists()
    report.unsealed = session.execute(
        select(func.count()).select_from(AuditEvent).where(~linked)).scalar_one()
    return report


class ChainBroken(Exception):
    """The chain does not verify, so it is not re-linked (that would hide the tampering)."""


def _iter_sealed(session: Session) -> Iterator[tuple[int, AuditEvent]]:
    last = 0
    while True:
        batch = session.execute(
            select(AuditLink.seq, AuditEvent).join(AuditEvent, AuditEvent.id == AuditLink.event_id)
            .where(AuditLink.seq > last).order_by(AuditLink.seq).limit(SEAL_BATCH)
        ).all()
        if not batch:
            return
        yield from ((r[0], r[1]) for r in batch)
        last = batch[-1][0]
        session.expunge_all()


def reseal(session: Session) -> int:
    """Verify the chain under the configured keys, then re-link every sealed event under the
    current key; returns how many were re-linked. Refuses a chain that does not verify."""
    report = verify(session)
    if not report.ok:
        raise ChainBroken("; ".join(report.problems))
    key = _key()
    prev, seq, rows, total = GENESIS, 0, [], 0
    t = table_of(AuditLink)
    statement = (update(t).where(t.c.seq == bindparam("b_seq"))
                 .values(prev_hash=bindparam("prev"), hash=bindparam("hash")))
    for seq, event in _iter_sealed(session):
        digest = link(key, prev, seq, event)
        rows.append({"b_seq": seq, "prev": prev, "hash": digest})
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
