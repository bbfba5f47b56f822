"""A database that is busy, down, restarting or in recovery is answered 503 problem+json with
Retry-After, never 500; connections the server closed are replaced without the client seeing
it, and the app recovers by itself once the database is back.

The shared PostgreSQL server is never restarted here: a restart is simulated by a TCP relay in
front of it that drops every connection and refuses new ones, and by pg_terminate_backend.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import closing, suppress
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from kinko import clock
from kinko.config import Settings
from kinko.db import Database
from kinko.db.engine import fault_of
from kinko.web.app import create_app
from tests.web.conftest import login


def _free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _problem(response: Any) -> dict[str, object]:
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, object] = response.json()
    return body


class Relay:
    """A TCP relay to a PostgreSQL server that can be taken down (every connection dropped,
    new ones refused) and brought back on the same port, like a server restart."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = _free_port()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            doomed, self._sockets = self._sockets, []
        if listener is not None:
            with suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        for sock in doomed:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        with suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with suppress(OSError):
            dst.shutdown(socket.SHUT_WR)


@pytest.fixture
def relay(pg_url: str) -> Iterator[tuple[Relay, str]]:
    url = make_url(pg_url)
    r = Relay((url.host or "127.0.0.1", url.port or 5432))
    r.up()
    try:
        yield r, url.set(host="127.0.0.1", port=r.port).render_as_string(hide_password=False)
    finally:
        r.down()


def test_a_database_that_is_down_is_a_503_with_retry_after() -> None:
    """Nothing listens on the port: connection refused → 503 DB_UNAVAILABLE, in both
    languages, with Retry-After; a browser gets the error page with the same status."""
    db = Database(f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/kinko")
    try:
        with TestClient(create_app(db, Settings()), raise_server_exceptions=False) as client:
            api = client.get("/api/v1/accounts", headers={"Authorization": "Bearer x"})
            assert api.status_code == 503
            body = _problem(api)
            assert body["code"] == "DB_UNAVAILABLE" and body["message_ja"] and body["message_en"]
            assert int(api.headers["Retry-After"]) > 0
            client.cookies.set("kinko_session", "x")
            page = client.get("/banking", headers={"Accept": "text/html"})
            assert page.status_code == 503 and int(page.headers["Retry-After"]) > 0
    finally:
        db.dispose()


def test_faults_are_told_from_bugs() -> None:
    from sqlalchemy.exc import DBAPIError, IntegrityError, ProgrammingError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    class Orig(Exception):
        def __init__(self, sqlstate: str | None) -> None:
            super().__init__("x")
            self.sqlstate = sqlstate

    def err(cls: type[DBAPIError], sqlstate: str | None) -> DBAPIError:
        return cls("SELECT 1", {}, Orig(sqlstate))

    assert fault_of(err(OperationalError, "55P03")) == "busy"      # lock_timeout
    assert fault_of(err(OperationalError, "57014")) == "busy"      # statement_timeout
    assert fault_of(err(OperationalError, "40P01")) == "busy"      # deadlock
    assert fault_of(err(OperationalError, "57P03")) == "unavailable"  # starting up, recovery
    assert fault_of(err(OperationalError, "57P01")) == "unavailable"  # admin shutdown
    assert fault_of(err(OperationalError, None)) == "unavailable"  # refused, reset
    assert fault_of(PoolTimeout()) == "busy"
    assert fault_of(err(IntegrityError, "23505")) is None
    assert fault_of(err(ProgrammingError, "42P01")) is None
    assert fault_of(ValueError()) is None


def test_sqlite_writers_queue_and_a_long_wait_is_a_503(tmp_path: object) -> None:
    """SQLite: this process's transactions queue for the one writer; one that waits longer
    than the configured wait is told 503 DB_BUSY, never "database is locked" as a 500."""
    from pathlib import Path

    from kinko.db.migrate import upgrade

    assert isinstance(tmp_path, Path)
    url = f"sqlite:///{tmp_path / 'k.sqlite3'}"
    upgrade(url)
    db = Database(url, sqlite_write_wait_s=0.3)
    try:
        with TestClient(create_app(db, Settings()), raise_server_exceptions=False) as client:
            with db.transaction() as s:
                s.execute(text("SELECT 1"))  # holds the writer
                started = time.monotonic()
                response = client.get("/api/v1/accounts", headers={"Authorization": "Bearer x"})
                assert time.monotonic() - started < 5
            assert response.status_code == 503
            assert _problem(response)["code"] == "DB_BUSY"
            assert response.headers["Retry-After"] == "1"
            # The writer is free again: the same request is an ordinary 401 now.
            assert client.get("/api/v1/accounts",
                              headers={"Authorization": "Bearer x"}).status_code == 401
    finally:
        db.dispose()


def test_postgresql_connections_carry_the_timeouts(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        with db.transaction() as s:
            shown = [s.execute(text(f"SHOW {name}")).scalar_one() for name in (
                "lock_timeout", "statement_timeout", "idle_in_transaction_session_timeout")]
        assert shown == ["5s", "30s", "1min"]
    finally:
        db.dispose()


def test_a_lock_wait_ends_in_a_503_not_a_hang_or_a_500(pg_url: str, db: Database) -> None:
    """A request that waits for a lock longer than lock_timeout is told 503 DB_BUSY."""
    _, _, token = login(db)
    app_db = Database(pg_url, lock_timeout_ms=300)
    locker = create_engine(pg_url)
    try:
        with TestClient(create_app(app_db, Settings()),
                        raise_server_exceptions=False) as client, locker.connect() as conn:
            client.headers["Authorization"] = f"Bearer {token}"
            assert client.get("/api/v1/accounts").status_code == 200
            conn.execute(text("LOCK TABLE auth_sessions IN ACCESS EXCLUSIVE MODE"))
            started = time.monotonic()
            response = client.get("/api/v1/accounts")
            assert time.monotonic() - started < 5
            assert response.status_code == 503, response.text
            assert _problem(response)["code"] == "DB_BUSY" and response.headers["Retry-After"]
            conn.rollback()
            assert client.get("/api/v1/accounts").status_code == 200
    finally:
        locker.dispose()
        app_db.dispose()


def test_connections_the_server_ended_are_replaced_unseen(pg_url: str, db: Database) -> None:
    """pg_terminate_backend of every connection of the app (what a restart or a failover does
    to them): the next requests are answered normally — the dead connections are replaced at
    checkout, before their first statement, at no round trip's cost."""
    _, _, token = login(db)
    app_db = Database(pg_url)
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    try:
        with TestClient(create_app(app_db, Settings())) as client, admin.connect() as conn:
            client.headers["Authorization"] = f"Bearer {token}"
            for _ in range(3):
                assert client.get("/api/v1/accounts").status_code == 200
            for _ in range(3):
                pids = conn.execute(text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                )).scalars().all()
                assert pids
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM unnest(:p) AS pid"),
                             {"p": list(pids)})
                time.sleep(0.2)  # the backends' goodbye reaches the sockets
                for _ in range(3):
                    response = client.get("/api/v1/accounts")
                    assert response.status_code == 200, response.text
    finally:
        admin.dispose()
        app_db.dispose()


def test_the_app_recovers_by_itself_after_the_database_returns(
        relay: tuple[Relay, str], db: Database) -> None:
    """The database goes away (every connection dropped, new ones refused): requests are
    answered 503 DB_UNAVAILABLE with Retry-After, quickly. It comes back: within seconds the
    same app answers 200 again, with nobody restarting it."""
    proxy, url = relay
    _, _, token = login(db)
    app_db = Database(url)
    try:
        with TestClient(create_app(app_db, Settings()), raise_server_exceptions=False) as client:
            client.headers["Authorization"] = f"Bearer {token}"
            assert client.get("/api/v1/accounts").status_code == 200
            proxy.down()
            time.sleep(0.1)
            for _ in range(3):
                started = time.monotonic()
                response = client.get("/api/v1/accounts")
                assert time.monotonic() - started < 5
                assert response.status_code == 503, response.text
                assert _problem(response)["code"] == "DB_UNAVAILABLE"
                assert response.headers["Retry-After"]
            proxy.up()
            back = time.monotonic()
            statuses = []
            while time.monotonic() - back < 10:
                statuses.append(client.get("/api/v1/accounts").status_code)
                if statuses[-1] == 200:
                    break
                time.sleep(0.2)
            assert statuses[-1] == 200 and time.monotonic() - back < 3, statuses
            assert set(statuses) <= {200, 503}
    finally:
        app_db.dispose()
        clock.set_now(None)


def test_sqlite_locked_by_another_process_is_a_503(tmp_path: Any) -> None:
    """Another process (here: another connection outside the app's pool) holds the file's
    write lock past the wait: "database is locked" is answered 503 DB_BUSY, not 500."""
    import sqlite3

    from kinko.db.migrate import upgrade

    path = tmp_path / "k.sqlite3"
    upgrade(f"sqlite:///{path}")
    db = Database(f"sqlite:///{path}", sqlite_write_wait_s=0.3)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        with TestClient(create_app(db, Settings()), raise_server_exceptions=False) as client:
            other.execute("BEGIN IMMEDIATE")
            response = client.get("/api/v1/accounts", headers={"Authorization": "Bearer x"})
            assert response.status_code == 503, response.text
            assert _problem(response)["code"] == "DB_BUSY"
            other.execute("ROLLBACK")
            assert client.get("/api/v1/accounts",
                              headers={"Authorization": "Bearer x"}).status_code == 401
    finally:
        other.close()
        db.dispose()


def test_requests_over_the_limit_queue_and_a_long_wait_is_a_503() -> None:
    """Admission: requests above the limit wait (without a thread) in order; one that waits
    longer than the queue wait is answered 503 SERVER_BUSY with Retry-After."""
    import anyio
    import httpx
    from starlette.responses import JSONResponse
    from starlette.types import Receive, Scope, Send

    from kinko.web.admission import Admission

    async def slow(scope: Scope, receive: Receive, send: Send) -> None:
        await anyio.sleep(0.3)
        await JSONResponse({"ok": True})(scope, receive, send)

    async def three(app: Admission) -> list[tuple[int, str]]:
        out: list[tuple[int, str]] = []
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://kinko.test") as http:

            async def one() -> None:
                response = await http.get("/api/v1/x")
                out.append((response.status_code, response.json().get("code", "")))

            async with anyio.create_task_group() as tg:
                for _ in range(3):
                    tg.start_soon(one)
        return sorted(out)

    assert anyio.run(three, Admission(slow, limit=1, wait_s=5)) == [(200, "")] * 3
    assert anyio.run(three, Admission(slow, limit=1, wait_s=0.1)) == [
        (200, ""), (503, "SERVER_BUSY"), (503, "SERVER_BUSY")]


def test_a_connection_found_dead_at_the_first_statement_is_retried(pg_url: str,
                                                                    db: Database) -> None:
    """Without the checkout check (as when a connection dies between checkout and use), the
    request's first statement fails on the dead connection: the request is checked again on a
    fresh one and answered normally."""
    from sqlalchemy import event

    from kinko.db import engine as engine_module

    _, _, token = login(db)
    app_db = Database(pg_url)
    event.remove(app_db.engine, "checkout", engine_module._discard_if_closed)
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    try:
        with TestClient(create_app(app_db, Settings())) as client, admin.connect() as conn:
            client.headers["Authorization"] = f"Bearer {token}"
            assert client.get("/api/v1/accounts").status_code == 200
            conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                "current_database() AND pid <> pg_backend_pid() "
                "AND backend_type = 'client backend'"))
            time.sleep(0.2)
            response = client.get("/api/v1/accounts")
            assert response.status_code == 200, response.text
    finally:
        admin.dispose()
        app_db.dispose()
