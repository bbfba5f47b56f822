"""Nothing blocks the event loop (issue: one session's two concurrent requests froze the server).

Every route and dependency that touches the database is a plain ``def``, which FastAPI runs in
the threadpool; ``async def`` is kept for work that only awaits (reading a body or a form).
Statically: walk every route of the real app and its dependencies, recursively, and refuse an
``async def`` that takes a database session or depends on one. At run time: no SQL statement
is ever executed on a thread that runs an event loop.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Iterator

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import event
from sqlalchemy.orm import Session

from kinko.db import Database
from kinko.db.engine import Database as EngineDatabase
from kinko.web.app import create_app
from kinko.web.deps import session as request_session
from tests.web.conftest import Customer

_DB_TYPES = (Session, EngineDatabase)


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _walk(sub)


def _touches_db(dependant: Dependant) -> bool:
    """Takes a Session or a Database, or depends (at any depth) on the request's session."""
    call = dependant.call
    if call is request_session:
        return True
    if call is not None:
        hints = inspect.signature(call).parameters.values()
        if any((isinstance(p.annotation, type) and issubclass(p.annotation, _DB_TYPES))
               or p.annotation in ("Session", "Database") for p in hints):
            return True
    return any(_touches_db(sub) for sub in dependant.dependencies)


def _is_async(call: object) -> bool:
    """A coroutine or async generator function, or an instance whose __call__ is one."""
    dunder_call = getattr(type(call), "__call__", None)  # noqa: B004 - the method, not callable()
    return (inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call)
            or inspect.iscoroutinefunction(dunder_call))


def _offends(dependant: Dependant) -> bool:
    """An ``async`` call that touches the database. The request's session itself is the one
    exception: it opens a session (no I/O) on the loop and sends its commit or rollback to
    the threadpool (:func:`test_no_statement_runs_on_the_event_loop`: no statement and no
    commit on the loop's thread); what depends on it must still be a plain ``def``."""
    call = dependant.call
    return (call is not None and call is not request_session and _is_async(call)
            and _touches_db(dependant))


def test_no_async_route_or_dependency_touches_the_database() -> None:
    app = create_app(Database("sqlite://"))
    offenders: list[str] = []
    # The effective routes, included routers' own dependencies with them.
    routes = [(c.path, c.methods, c.route) for c in iter_route_contexts(app.routes)
              if isinstance(c.route, APIRoute)]
    assert len(routes) > 50  # the walk sees the whole app
    for path, methods, route in routes:
        for dependant in _walk(route.dependant):
            if _offends(dependant):
                offenders.append(f"{path} {sorted(methods or ())}: "
                                 f"{dependant.call.__module__}.{dependant.call.__qualname__}")
    assert offenders == []


def test_the_walk_would_catch_an_async_dependency_on_the_session() -> None:
    from fastapi import Depends, FastAPI

    from kinko.web.deps import DB

    async def bad(s: Session = DB) -> None:
        return None

    app = FastAPI()

    @app.get("/x")
    def x(_: None = Depends(bad)) -> None:
        return None

    route = next(r for r in app.routes if isinstance(r, APIRoute))
    found = [d.call for d in _walk(route.dependant) if _offends(d)]
    assert found == [bad]


def test_no_statement_runs_on_the_event_loop(customer: Customer, db: Database) -> None:
    """The real app over ASGI, pages and API, reads and writes: every statement is executed
    on a worker thread, none on the thread of the event loop."""
    on_loop: list[str] = []
    threads: set[str] = set()

    def check(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        threads.add(threading.current_thread().name)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        on_loop.append(statement.split()[0])

    def check_commit(conn):  # type: ignore[no-untyped-def]
        check(conn, None, "COMMIT")

    event.listen(db.engine, "before_cursor_execute", check)
    # The commit too: the request's session commits on the handler's thread or in the
    # threadpool, never on the loop (a commit waits for the disk, and on SQLite for the lock).
    event.listen(db.engine, "commit", check_commit)
    try:
        client = customer.client
        assert client.get("/api/v1/me").status_code == 200
        assert client.get("/api/v1/accounts").status_code == 200
        quote = client.post("/api/v1/transfers",
                            json={"from_account_id": customer.account_id, "amount": 1000,
                                  "bank_code": "0999", "branch_code": customer.payee[0],
                                  "account_type": "ordinary", "number": customer.payee[1]},
                            headers={"Idempotency-Key": "loop-1"})
        assert quote.status_code == 201, quote.text
        done = client.post(f"/api/v1/transfers/{quote.json()['id']}/confirm",
                           json={"otp_code": customer.otp(db)},
                           headers={"Idempotency-Key": "loop-2"})
        assert done.status_code == 200, done.text
        client.headers["Authorization"] = f"Bearer {done.json()['session_token']}"
        assert client.get("/banking", headers={"Accept": "text/html"}).status_code in (200, 303)
    finally:
        event.remove(db.engine, "before_cursor_execute", check)
        event.remove(db.engine, "commit", check_commit)
    assert threads  # statements did run
    assert on_loop == []
