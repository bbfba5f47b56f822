"""LED-5: the batched sealer and the streaming verifier agree with the chain's definition.

On PostgreSQL the sealer and the verifier let the server build the text each link covers;
these tests pin that text to ``link`` (the definition, computed in Python from the ORM row)
for times with and without a fraction of a second, and across several batches and blocks.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit import service
from kinko.audit.models import AuditEvent, AuditLink
from kinko.audit.service import GENESIS, link, record, seal_all, verify
from kinko.db import Database

pytestmark = pytest.mark.req("LED-5")


def _record_at(db: Database, moments: list[datetime]) -> None:
    def write(s: Session) -> None:
        for i, moment in enumerate(moments):
            clock.set_now(moment)
            record(s, actor=f"customer:{i}", action="test.event", subject_type="thing",
                   subject_id=i, data={"i": i, "name": "山田 ﾀﾛｳ", "quote": "a\"b\\c"})

    db.run(write)
    clock.set_now(None)


def test_each_sealed_hash_is_the_defined_link(db: Database) -> None:
    moments = [datetime(2026, 12, 4, 9, 0, 0, tzinfo=clock.JST),             # no fraction
               datetime(2026, 12, 4, 9, 0, 0, 1, tzinfo=clock.JST),          # 1 µs
               datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=clock.JST),  # day and year end
               datetime(2026, 1, 1, 0, 0, 0, 500000, tzinfo=clock.JST)]      # JST ≠ UTC date
    _record_at(db, moments)
    assert db.run(seal_all) == len(moments)
    key = service._key()
    with db.transaction() as s:
        links = s.execute(select(AuditLink, AuditEvent)
                          .join(AuditEvent, AuditEvent.id == AuditLink.event_id)
                          .order_by(AuditLink.seq)).all()
        prev = GENESIS
        for seq, (chain, event) in enumerate(links, start=1):
            assert chain.seq == seq and chain.prev_hash == prev
            assert chain.hash == link(key, prev, seq, event)
            prev = chain.hash
        report = verify(s)
    assert report.ok and report.checked == len(moments)


def test_many_batches_and_blocks_verify_and_name_the_first_bad_event(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "SEAL_BATCH", 7)
    monkeypatch.setattr(service, "VERIFY_BLOCK", 5)
    _record_at(db, [datetime(2026, 12, 4, 9, 0, i, i * 1000, tzinfo=clock.JST)
                    for i in range(40)])
    # seal() reads its default limit at call time, so the batches really are 7 events.
    sealed = []
    while n := db.run(lambda s: service.seal(s, limit=service.SEAL_BATCH)):
        sealed.append(n)
    assert sealed == [7, 7, 7, 7, 7, 5]
    with db.transaction() as s:
        assert verify(s).checked == 40
        victim_id = s.scalars(select(AuditLink.event_id).where(AuditLink.seq == 23)).one()
    db.run(lambda s: s.execute(update(AuditEvent).where(AuditEvent.id == victim_id)
                               .values(subject_id="other")))
    with db.transaction() as s:
        report = verify(s)
    assert not report.ok and report.checked == 22
    assert report.problems[0].startswith(f"event id={victim_id} seq=23:")
