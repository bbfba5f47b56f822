"""AUTH-10: upgrading removes the session and CSRF tokens that earlier versions stored in
idempotent confirmation responses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kinko.db.migrate import upgrade


@pytest.mark.req("AUTH-10")
def test_upgrade_scrubs_tokens_from_stored_responses(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade(url, "0003_retail")
    stored = {"instruction": {"id": 1, "status": "executed"}, "session_token": "live-token",
              "csrf_token": "csrf-of-it"}
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO idempotency_keys (scope, key, request_hash, response, created_at) "
            "VALUES ('transfer.confirm:1', 'k1', 'h', :r, '2026-11-20 01:00:00')"),
            {"r": json.dumps(stored)})
    upgrade(url)
    with engine.connect() as conn:
        response = conn.execute(text("SELECT response FROM idempotency_keys")).scalar_one()
    engine.dispose()
    assert json.loads(response) == {"instruction": {"id": 1, "status": "executed"}}
