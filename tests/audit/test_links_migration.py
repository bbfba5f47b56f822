"""LED-5: upgrading to the append-only link table keeps a chain sealed by earlier versions
(links stored on the event rows) intact, and its unsealed events are sealed afterwards."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kinko import clock
from kinko.audit.service import GENESIS, _head_mac, _key, link, seal_all, verify
from kinko.db import Database
from kinko.db.migrate import upgrade


class _Event:
    def __init__(self, event_id: int, occurred_at: datetime, n: int) -> None:
        self.id, self.occurred_at = event_id, occurred_at
        self.actor, self.action, self.subject_type = f"customer:{n}", "test.event", "thing"
        self.subject_id, self.data = str(n), f'{{"n":{n}}}'


@pytest.mark.req("LED-5")
def test_upgrade_moves_sealed_links_and_keeps_the_chain_verifying(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade(url, "0014_corporate_services")
    key = _key()
    engine = create_engine(url)
    events = [_Event(n, datetime(2026, 12, 1, 9, 0, n, n * 1000, tzinfo=clock.JST), n)
              for n in range(1, 7)]
    prev = GENESIS
    with engine.begin() as conn:
        for n, event in enumerate(events, start=1):
            sealed = n <= 4   # the last two were not sealed yet when the bank upgraded
            digest = link(key, prev, n, event) if sealed else None
            conn.execute(text(
                "INSERT INTO audit_events (id, occurred_at, actor, action, subject_type, "
                "subject_id, data, chain_seq, prev_hash, hash) "
                "VALUES (:id, :at, :actor, :action, :st, :sid, :data, :seq, :prev, :hash)"),
                {"id": event.id, "at": event.occurred_at, "actor": event.actor,
                 "action": event.action, "st": event.subject_type, "sid": event.subject_id,
                 "data": event.data, "seq": n if sealed else None,
                 "prev": prev if sealed else None, "hash": digest})
            if sealed:
                assert digest is not None
                prev = digest
        conn.execute(text(
            "INSERT INTO audit_chain_head (id, last_seq, last_hash, head_mac) "
            "VALUES (1, 4, :h, :mac)"), {"h": prev, "mac": _head_mac(key, 4, prev)})
    engine.dispose()
    upgrade(url)
    db = Database(url)
    try:
        with db.transaction() as s:
            report = verify(s)
        assert report.ok and (report.checked, report.unsealed) == (4, 2)
        assert db.run(seal_all) == 2
        with db.transaction() as s:
            report = verify(s)
        assert report.ok and (report.checked, report.unsealed) == (6, 0)
    finally:
        db.dispose()
