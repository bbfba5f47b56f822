"""LED-5: the audit chain detects any edit, deletion, insertion or reordering."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from kinko.audit.models import AuditChainHead, AuditEvent, AuditLink
from kinko.audit.service import record, seal_all, verify
from kinko.cli import app
from kinko.db import Database

pytestmark = pytest.mark.req("LED-5")


def _events(db: Database, n: int = 6) -> list[int]:
    def write(s: Session) -> None:
        for i in range(n):
            record(s, actor=f"customer:{i}", action="test.event", subject_type="thing",
                   subject_id=i, data={"i": i, "name": "山田"})

    db.run(write)
    db.run(seal_all)
    with db.transaction() as s:
        return list(s.scalars(select(AuditLink.event_id).order_by(AuditLink.seq)))


def test_intact_chain_verifies(db: Database) -> None:
    _events(db)
    with db.transaction() as s:
        report = verify(s)
    assert report.ok and report.checked == 6 and report.unsealed == 0


def test_unsealed_events_are_reported_then_sealed(db: Database) -> None:
    _events(db, 2)
    db.run(lambda s: record(s, actor="system", action="late", subject_type="x", subject_id=1))
    with db.transaction() as s:
        report = verify(s)
    assert report.ok and report.unsealed == 1
    assert db.run(seal_all) == 1
    with db.transaction() as s:
        assert verify(s).checked == 3


def test_event_rolled_back_with_its_transaction_leaves_no_trace(db: Database) -> None:
    class Boom(Exception):
        pass

    def fail(s: Session) -> None:
        record(s, actor="system", action="doomed", subject_type="x", subject_id=1)
        raise Boom

    with pytest.raises(Boom):
        db.run(fail)
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 0


def _edit(ids: list[int]) -> Callable[[Session], None]:
    return lambda s: s.execute(update(AuditEvent).where(AuditEvent.id == ids[2])
                               .values(data='{"i":99}'))


def _edit_actor(ids: list[int]) -> Callable[[Session], None]:
    return lambda s: s.execute(update(AuditEvent).where(AuditEvent.id == ids[3])
                               .values(actor="operator:evil"))


def _delete_middle(ids: list[int]) -> Callable[[Session], None]:
    return lambda s: s.execute(delete(AuditEvent).where(AuditEvent.id == ids[2]))


def _delete_tail(ids: list[int]) -> Callable[[Session], None]:
    return lambda s: s.execute(delete(AuditEvent).where(AuditEvent.id == ids[-1]))


def _insert_forged(ids: list[int]) -> Callable[[Session], None]:
    def forge(s: Session) -> None:
        # Shift the tail up one place and slip a forged, plausibly hashed event in between.
        for event_id in reversed(ids[3:]):
            s.execute(update(AuditLink).where(AuditLink.event_id == event_id)
                      .values(seq=AuditLink.seq + 1))
        forged = s.execute(insert(AuditEvent).values(
            occurred_at=s.get(AuditEvent, ids[0]).occurred_at,  # type: ignore[union-attr]
            actor="operator:evil", action="test.event", subject_type="thing", subject_id="x",
            data="{}").returning(AuditEvent.id)).scalar_one()
        s.execute(insert(AuditLink).values(seq=4, event_id=forged, prev_hash="0" * 64,
                                           hash="f" * 64))
    return forge


def _reorder(ids: list[int]) -> Callable[[Session], None]:
    def swap(s: Session) -> None:
        # The two links change events: positions 2 and 3 now hold each other's event.
        s.execute(update(AuditLink).where(AuditLink.event_id == ids[1]).values(event_id=-1))
        s.execute(update(AuditLink).where(AuditLink.event_id == ids[2]).values(event_id=ids[1]))
        s.execute(update(AuditLink).where(AuditLink.event_id == -1).values(event_id=ids[2]))
    return swap


def _forge_head(ids: list[int]) -> Callable[[Session], None]:
    return lambda s: s.execute(update(AuditChainHead).values(last_seq=AuditChainHead.last_seq - 1))


@pytest.mark.parametrize("tamper", [_edit, _edit_actor, _delete_middle, _delete_tail,
                                    _insert_forged, _reorder, _forge_head])
def test_tampering_is_detected_by_the_cli(db: Database, database_url: str,
                                          tamper: Callable[[list[int]], Callable[[Session], None]]
                                          ) -> None:
    ids = _events(db)
    ok = CliRunner().invoke(app, ["audit", "verify", "--database-url", database_url])
    assert ok.exit_code == 0, ok.output
    db.run(tamper(ids))
    result = CliRunner().invoke(app, ["audit", "verify", "--database-url", database_url])
    assert result.exit_code == 1
    assert "TAMPERED" in result.output and ("event id=" in result.output
                                            or "chain head" in result.output)


def test_first_bad_event_is_named(db: Database, database_url: str) -> None:
    ids = _events(db)
    db.run(_edit(ids))
    result = CliRunner().invoke(app, ["audit", "verify", "--database-url", database_url])
    assert f"event id={ids[2]} seq=3" in result.output


def test_appending_takes_no_lock_on_the_chain(db: Database) -> None:
    """DESIGN rule 7: appending writes no hash and touches no chain head row."""
    _events(db, 1)
    with db.transaction() as s:
        before = s.execute(text("SELECT last_seq FROM audit_chain_head")).scalar_one()
    db.run(lambda s: record(s, actor="a", action="b", subject_type="c", subject_id=1))
    with db.transaction() as s:
        after = s.execute(text("SELECT last_seq FROM audit_chain_head")).scalar_one()
        newest = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert before == after and newest is not None
    with db.transaction() as s:
        assert s.scalar(select(AuditLink).where(AuditLink.event_id == newest.id)) is None
