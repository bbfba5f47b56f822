"""Rows written at the end of the transaction (kinko.db.write_behind): the audit events, the
outbox messages and a transfer's card challenge go out together — one statement on
PostgreSQL — and a transaction still sees, updates and rolls back its own rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from kinko import clock
from kinko.audit.models import AuditEvent
from kinko.audit.service import record
from kinko.auth import challenges
from kinko.auth import repository as auth_repo
from kinko.auth.models import Challenge, ChallengeKind
from kinko.db import Database, write_behind
from kinko.outbox.models import OutboxMessage
from kinko.outbox.service import enqueue
from tests.querycount import counting


def _topics(db: Database) -> list[str]:
    with db.transaction() as s:
        return list(s.scalars(select(OutboxMessage.topic).order_by(OutboxMessage.id)))


def test_events_and_messages_go_out_together_at_the_commit(db: Database) -> None:
    with counting(db.engine) as found, db.transaction() as s:
        for n in range(3):
            record(s, actor="test", action=f"a{n}", subject_type="thing", subject_id=n)
            enqueue(s, "test.topic", {"n": n})
        enqueue(s, "test.keyed", {}, dedupe_key="k1")
        assert write_behind.pending(s) == 7
        assert found.seen == []    # nothing was written before the commit
    # One statement on PostgreSQL; SQLite has no data-modifying CTE: one INSERT per table.
    assert len(found.seen) == (1 if db.dialect == "postgresql" else 2), found
    assert _topics(db) == ["test.topic"] * 3 + ["test.keyed"]
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 3


def test_a_dedupe_key_already_queued_is_skipped_in_the_same_and_a_later_transaction(
        db: Database) -> None:
    with db.transaction() as s:
        enqueue(s, "first", {}, dedupe_key="same")
        enqueue(s, "second", {}, dedupe_key="same")
    with db.transaction() as s:
        enqueue(s, "third", {}, dedupe_key="same")
        enqueue(s, "other", {})
    assert _topics(db) == ["first", "other"]


def test_a_transaction_reads_and_updates_its_own_buffered_rows(db: Database) -> None:
    with db.transaction() as s:
        enqueue(s, "seen", {})
        assert s.scalars(select(OutboxMessage.topic)).all() == ["seen"]
        assert write_behind.pending(s) == 0
        enqueue(s, "changed", {})
        s.execute(update(OutboxMessage).where(OutboxMessage.topic == "changed")
                  .values(attempts=5))
    with db.transaction() as s:
        assert s.scalar(select(OutboxMessage.attempts).where(
            OutboxMessage.topic == "changed")) == 5


def test_a_rolled_back_savepoint_drops_its_rows_and_the_transaction_keeps_the_rest(
        db: Database) -> None:
    with db.transaction() as s:
        enqueue(s, "kept", {})
        with pytest.raises(ValueError), s.begin_nested():
            enqueue(s, "dropped", {})
            s.scalars(select(OutboxMessage.id)).all()   # written inside: undone, then again
            raise ValueError
    assert _topics(db) == ["kept"]
    with pytest.raises(KeyError), db.transaction() as s:
        enqueue(s, "lost", {})
        raise KeyError
    assert _topics(db) == ["kept"]


def test_a_card_challenge_handed_out_is_written_at_the_commit_and_usable(db: Database
                                                                        ) -> None:
    """The card cells of a transfer: written with the request's other rows, and a use of
    the challenge in the same transaction (a conditional UPDATE) writes it first."""
    with db.transaction() as s:
        row = challenges.create(s, ChallengeKind.CARD_CELLS, ttl=timedelta(minutes=5),
                                data={"cells": ["A1"]}, write_behind=True)
        assert row.id is None and write_behind.pending(s) == 1
        assert s.scalar(select(func.count()).select_from(Challenge)) == 1
        later = challenges.create(s, ChallengeKind.CARD_CELLS, ttl=timedelta(minutes=5),
                                  write_behind=True)
        used = auth_repo.consume_challenge(s, later.public_id, ChallengeKind.CARD_CELLS,
                                           clock.now())
        assert used is not None and used.id is not None
    with db.transaction() as s:
        found = auth_repo.challenge(s, row.public_id)
        assert found is not None and found.consumed_at is None
        assert found.expires_at == row.expires_at
