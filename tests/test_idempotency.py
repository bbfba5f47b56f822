"""INS-3: a create request runs once per idempotency key; a changed replay is refused."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from kinko.db import Database
from kinko.errors import IdempotencyMismatch, ValidationFailed
from kinko.idempotency.service import once

pytestmark = pytest.mark.req("INS-3")


def test_replay_returns_the_first_response(db: Database) -> None:
    runs: list[int] = []

    def create() -> dict[str, Any]:
        runs.append(1)
        return {"id": len(runs)}

    first = db.run(lambda s: once(s, scope="t", key="k", payload={"a": 1}, create=create))
    again = db.run(lambda s: once(s, scope="t", key="k", payload={"a": 1}, create=create))
    assert first == {"id": 1} and again == {"id": 1, "replayed": True} and len(runs) == 1
    with pytest.raises(IdempotencyMismatch):
        db.run(lambda s: once(s, scope="t", key="k", payload={"a": 2}, create=create))
    other_scope = db.run(lambda s: once(s, scope="u", key="k", payload={"a": 2}, create=create))
    assert other_scope == {"id": 2}


@pytest.mark.parametrize("key", ["", "x" * 101, "bad\nkey"])
def test_bad_keys_are_refused(db: Database, key: str) -> None:
    with pytest.raises(ValidationFailed):
        db.run(lambda s: once(s, scope="t", key=key, payload={}, create=dict))


def test_concurrent_requests_with_one_key_create_once(db: Database, pg_url: str) -> None:
    runs: list[int] = []
    results: list[dict[str, Any]] = []
    lock = threading.Lock()

    def create() -> dict[str, Any]:
        with lock:
            runs.append(1)
        return {"id": 7}

    def request() -> None:
        results.append(Database(pg_url).run(
            lambda s: once(s, scope="t", key="same", payload={"a": 1}, create=create)))

    threads = [threading.Thread(target=request) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(runs) == 1 and all(r["id"] == 7 for r in results) and len(results) == 8
