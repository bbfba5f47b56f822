"""Admission: at most ``max_concurrent_requests`` requests in progress per process.

Every handler and dependency that touches the database runs in the threadpool (40 threads),
and a request's steps each take a thread in turn. If every thread were held by a request
waiting for a lock (a row lock on PostgreSQL, the single writer on SQLite), the request that
holds it could not get a thread to finish, and all would wait until their timeouts. Requests
above the limit therefore wait here — on the event loop, without a thread — first come first
served, and one that waits longer than ``request_queue_wait_s`` is answered 503 SERVER_BUSY
with Retry-After rather than left hanging.
"""

from __future__ import annotations

import anyio
from anyio.lowlevel import RunVar
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

# One semaphore per event loop (uvicorn runs one; each TestClient starts its own).
_slots: RunVar[anyio.Semaphore] = RunVar("kinko_admission")


class Admission:
    def __init__(self, app: ASGIApp, *, limit: int, wait_s: float) -> None:
        self.app = app
        self.limit = max(1, limit)
        self.wait_s = wait_s

    def _semaphore(self) -> anyio.Semaphore:
        try:
            return _slots.get()
        except LookupError:
            semaphore = anyio.Semaphore(self.limit)
            _slots.set(semaphore)
            return semaphore

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        semaphore = self._semaphore()
        admitted = False
        try:
            # A free slot (the usual case) is taken at once: no timer, no checkpoint. A slot
            # freed while others wait goes to the first of them, so this cannot jump a queue.
            semaphore.acquire_nowait()
            admitted = True
        except anyio.WouldBlock:
            with anyio.move_on_after(self.wait_s):
                await semaphore.acquire()
                admitted = True  # no await between: a timeout cannot land after the acquire
        if not admitted:
            await _refuse(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            semaphore.release()


async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
    from kinko.web.problems import SERVER_BUSY, unavailable

    response = unavailable(Request(scope, receive), *SERVER_BUSY)
    await response(scope, receive, send)
