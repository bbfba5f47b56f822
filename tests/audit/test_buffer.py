"""The audit events of a transaction go out in one INSERT before the commit, and savepoints
keep them exactly as they would have kept one INSERT per event (kinko.audit.buffer)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kinko.audit import buffer
from kinko.audit.models import AuditEvent
from kinko.audit.service import record, record_values, seal_all, verify
from kinko.db import Database
from tests.querycount import counting


def _record(s, action: str) -> None:  # type: ignore[no-untyped-def]
    record(s, actor="test", action=action, subject_type="thing", subject_id=1)


def _actions(db: Database) -> list[str]:
    with db.transaction() as s:
        return list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_a_transactions_events_are_one_insert_at_commit(db: Database) -> None:
    with counting(db.engine) as found, db.transaction() as s:
        for n in range(5):
            _record(s, f"a{n}")
        assert buffer.pending(s) == 5
    inserts = [q for q in found.seen if "INSERT INTO audit_events" in q]
    assert len(inserts) == 1
    assert _actions(db) == [f"a{n}" for n in range(5)]


def test_a_rolled_back_transaction_writes_none(db: Database) -> None:
    with pytest.raises(KeyError), db.transaction() as s:
        _record(s, "lost")
        raise KeyError
    assert _actions(db) == []


def test_a_rolled_back_savepoint_drops_only_its_own_events(db: Database) -> None:
    with db.transaction() as s:
        _record(s, "before")
        with pytest.raises(ValueError), s.begin_nested():
            _record(s, "inside")
            raise ValueError
        with s.begin_nested():
            _record(s, "kept")
        _record(s, "after")
    assert _actions(db) == ["before", "kept", "after"]


def test_events_written_inside_a_savepoint_that_rolls_back_are_written_again(db: Database
                                                                             ) -> None:
    """A query of the audit table inside a savepoint writes what is waiting, the events from
    before the savepoint too; the rollback undoes that INSERT, so those go back on the
    buffer, and the savepoint's own ones are dropped."""
    with db.transaction() as s:
        _record(s, "outside")
        with s.begin_nested():
            _record(s, "released")
            with pytest.raises(ValueError), s.begin_nested():
                _record(s, "undone")
                seen = list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
                assert seen == ["outside", "released", "undone"]   # its own reads see them
                raise ValueError
            _record(s, "later")
    assert _actions(db) == ["outside", "released", "later"]


def test_buffered_events_are_sealed_and_verify(db: Database) -> None:
    with db.transaction() as s:
        for n in range(3):
            _record(s, f"e{n}")
        # The sealer in the same transaction sees (and seals) the waiting events.
        assert seal_all(s) == 3
    with db.transaction() as s:
        report = verify(s)
    assert report.ok and report.checked == 3 and report.unsealed == 0


def test_a_long_batch_keeps_its_order_and_content_and_verifies(db: Database) -> None:
    """From 100 events on, PostgreSQL takes them as one COPY (a bulk chunk's clearing
    hand-over records one per payee): the same rows, in the order recorded, sealed and
    verified; a savepoint rolled back after they were written puts them back, as for an
    INSERT."""
    odd = 'tab\there "q" \\ ｶﾅ\n'
    with db.transaction() as s:
        with pytest.raises(ValueError), s.begin_nested():
            for n in range(150):
                record(s, actor="test", action=f"dropped{n}", subject_type="thing",
                       subject_id=n)
            raise ValueError
        for n in range(250):
            record(s, actor="test", action=f"b{n}", subject_type="thing", subject_id=n,
                   data={"text": odd, "n": n})
        with pytest.raises(ValueError), s.begin_nested():
            s.scalars(select(AuditEvent.id)).all()    # the read writes the 250 (a COPY)
            raise ValueError
    assert _actions(db) == [f"b{n}" for n in range(250)]
    with db.transaction() as s:
        rows = list(s.execute(select(AuditEvent.subject_id, AuditEvent.data)
                              .order_by(AuditEvent.id)))
        assert rows[7] == ("7", record_values(actor="test", action="b7", subject_type="thing",
                                              subject_id=7, data={"text": odd, "n": 7})["data"])
        assert seal_all(s) == 250
    with db.transaction() as s:
        assert verify(s).ok


def test_a_read_of_audit_events_writes_the_buffer_first_every_time(db: Database) -> None:
    """The check is remembered per statement shape: the same query, again in a later
    transaction, still writes that transaction's events first; a query of another table
    leaves them buffered."""
    from kinko.ledger.models import Account

    for n in range(3):
        with db.transaction() as s:
            _record(s, f"seen{n}")
            s.execute(select(Account.id).where(Account.id == n))   # not audit_events
            assert buffer.pending(s) == 1
            found = s.scalars(select(AuditEvent.action).where(AuditEvent.action == f"seen{n}"))
            assert list(found) == [f"seen{n}"]
            assert buffer.pending(s) == 0
