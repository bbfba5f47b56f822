"""AUTH-4 over HTTP: the telephony webhook and the `kinko demo call` simulator's signature."""

from __future__ import annotations

import json
import time
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from kinko import clock
from kinko.auth.phone import sign
from kinko.config import Settings
from kinko.db import Database
from kinko.web.app import create_app

pytestmark = pytest.mark.req("AUTH-4")


def _report(client: TestClient, body: bytes, stamp: int, signature: str | None = None
            ) -> tuple[int, dict[str, object]]:
    response = client.post("/api/v1/telephony/calls", content=body, headers={
        "X-Kinko-Timestamp": str(stamp), "X-Kinko-Signature": signature or sign(body, stamp),
        "Content-Type": "application/json"})
    return response.status_code, response.json()


def test_signed_report_is_taken_once_and_bad_ones_refused(db: Database) -> None:
    now = datetime.now(clock.JST)
    clock.set_now(now)
    stamp = int(time.time())
    body = json.dumps({"event_id": "e-1", "caller": "09012345678", "callee": "0120000000",
                       "called_at": now.isoformat()}).encode()
    with TestClient(create_app(db, Settings())) as client:
        status, answer = _report(client, body, stamp)
        assert status == 200 and answer["matched"] is False  # nothing pending: no match
        status, answer = _report(client, body, stamp)
        assert status == 200 and answer["duplicate"] is True  # a replay changes nothing
        assert _report(client, body, stamp, signature="0" * 64)[0] == 401
        assert _report(client, body, stamp - 3600)[0] == 401  # stale timestamp
        assert _report(client, b"not json", stamp)[0] == 401
        missing = client.post("/api/v1/telephony/calls", content=body)
        assert missing.status_code == 422
