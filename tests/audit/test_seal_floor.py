"""LED-5: an event that commits after events with higher ids is still sealed, and the
sealer's floor (below which it no longer looks) never passes an event that may still commit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kinko.audit import buffer
from kinko.audit.models import AuditChainHead, AuditEvent, AuditLink
from kinko.audit.service import record, seal_all, verify
from kinko.db import Database


def _record(s: Session, name: str) -> None:
    record(s, actor="system", action=name, subject_type="thing", subject_id=name)


def _head(db: Database) -> AuditChainHead:
    with db.transaction() as s:
        head = s.get(AuditChainHead, 1)
        assert head is not None
        s.expunge(head)
        return head


def test_a_late_commit_with_a_lower_id_is_sealed_by_a_later_run(db: Database,
                                                                pg_url: str) -> None:
    """PostgreSQL only: SQLite has one writer, so no event can commit behind the sealer."""
    db.run(_record, "first")
    assert db.run(seal_all) == 1
    late = db.transaction()
    session = late.__enter__()
    try:
        _record(session, "late")
        # Written now (it draws its id now) but committed only after the next seal.
        buffer.flush(session)
        db.run(_record, "early")
        # The open transaction is another writer: "early" is sealed, "late" is invisible
        # and the floor stays below it.
        assert db.run(seal_all) == 1
        late_id = session.scalars(select(AuditEvent.id).where(
            AuditEvent.action == "late")).one()
        assert _head(db).floor_id < late_id
    finally:
        late.__exit__(None, None, None)   # commit
    assert db.run(seal_all) == 1
    with db.transaction() as s:
        report = verify(s)
        order = s.scalars(select(AuditEvent.action).join(
            AuditLink, AuditLink.event_id == AuditEvent.id).order_by(AuditLink.seq)).all()
        top = s.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    assert report.ok and report.unsealed == 0 and report.checked == 3
    assert order == ["first", "early", "late"]
    # With no writer left, one more run lifts the floor to the newest event.
    db.run(seal_all)
    assert _head(db).floor_id == top
