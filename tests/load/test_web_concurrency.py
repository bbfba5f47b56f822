"""The real app under uvicorn with real concurrent HTTP clients, on SQLite and PostgreSQL.

Issue behaviour proved here: two concurrent requests with one session token froze the whole
server for good on PostgreSQL (blocking database work on the event loop waiting for the
session row's lock, held by a request whose commit needed that loop); on SQLite any two
concurrent authenticated requests stalled for the busy timeout and one was answered 500
"database is locked". Now: transfer clients with their own sessions, and clients sharing one
session token, run side by side with no 5xx and no request stuck (5 s is a liveness bound
here, not a speed claim: the test shares two cores with everything else).

``KINKO_WEB_LOAD_SECONDS`` (default 10) sets the length of the mixed run; run with ``-s`` to
see its figures, e.g. the 30-second acceptance run on SQLite::

    KINKO_WEB_LOAD_SECONDS=30 pytest -s -k sqlite tests/load/test_web_concurrency.py
"""

from __future__ import annotations

import os
import socket
import statistics
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from kinko import clock
from kinko.auth import sessions
from kinko.auth.cards import issue_card
from kinko.auth.enrolment import enrol_retail_001
from kinko.auth.models import Product
from kinko.auth.passwords import random_password
from kinko.auth.policy import rules_for
from kinko.auth.rules import cell_name
from kinko.config import Settings, get_settings
from kinko.db import Database
from kinko.instructions.service import Actor
from kinko.ledger.models import Account
from kinko.transfers.service import register_payee
from kinko.web.app import create_app
from tests import factories

TRANSFER_CLIENTS = 8
STUCK_S = 5.0
AMOUNT = 1
SECONDS = float(os.environ.get("KINKO_WEB_LOAD_SECONDS", "10"))
MOMENT = datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST)  # a Friday morning: same-day transfers


@dataclass(frozen=True)
class Setup:
    token: str
    account_id: int
    payee_id: int
    payee_account_id: int
    card: dict[str, str]


def _customer(db: Database, index: int) -> Setup:
    rules = rules_for(Product.RETAIL_001)
    with db.transaction() as s:
        customer = factories.customer(s, name_kana="ﾍﾞﾝﾁ ﾀﾛｳ")
        account_id = factories.account(s, balance=10_000_000, holder="ﾍﾞﾝﾁ ﾀﾛｳ")
        account = s.get(Account, account_id)
        assert account is not None
        account.customer_id = customer.id
        payee_account_id = factories.account(s, holder="ﾍﾞﾝﾁ ｼﾖｳﾃﾝ")
        payee_account = s.get(Account, payee_account_id)
        assert payee_account is not None
        user = enrol_retail_001(s, customer_id=customer.id, member_number=f"{90_000_000 + index}",
                                password=random_password(rules), actor="test")
        card = issue_card(s, user, rules, actor="test")
        payee = register_payee(s, Actor(user.id, user.contract_id, customer.id),
                               bank_code=get_settings().bank_code,
                               branch_code=payee_account.branch_code, account_type="ordinary",
                               number=payee_account.number, nickname="ベンチ商店")
        token, _ = sessions.start(s, user, rules, channel="test")
        printed = {cell_name(r, c): digits for r, line in enumerate(card.grid)
                   for c, digits in enumerate(line)}
        return Setup(token, account_id, payee.id, payee_account_id, printed)


@contextmanager
def served(db: Database) -> Iterator[str]:
    """The real app under uvicorn, in a thread of this process (so the test's frozen clock is
    the server's), on a free local port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(db, Settings()), log_level="warning",
                                           access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@dataclass
class Log:
    """Every request's status and duration, from every client thread."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    calls: list[tuple[str, int, float]] = field(default_factory=list)
    transfers: int = 0
    errors: list[str] = field(default_factory=list)

    def call(self, http: httpx.Client, name: str, method: str, path: str,
             **kwargs: Any) -> httpx.Response | None:
        started = time.monotonic()
        try:
            response = http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:  # a timeout is a stuck request
            with self.lock:
                self.errors.append(f"{name}: {type(exc).__name__}")
                self.calls.append((name, 0, time.monotonic() - started))
            return None
        with self.lock:
            self.calls.append((name, response.status_code, time.monotonic() - started))
        return response


def _transfers(base: str, setup: Setup, log: Log, stop: threading.Event) -> None:
    with httpx.Client(base_url=base, timeout=30,
                      headers={"Authorization": f"Bearer {setup.token}"}) as http:
        n = 0
        while not stop.is_set():
            n += 1
            quote = log.call(http, "enter", "POST", "/api/v1/transfers",
                             json={"from_account_id": setup.account_id, "amount": AMOUNT,
                                   "payee_id": setup.payee_id},
                             headers={"Idempotency-Key": uuid.uuid4().hex})
            if quote is None or quote.status_code != 201:
                continue
            card = quote.json()["step_up"]["card"]
            done = log.call(http, "confirm", "POST",
                            f"/api/v1/transfers/{quote.json()['id']}/confirm",
                            json={"card_challenge_id": card["challenge_id"],
                                  "card_answers": {c: setup.card[c] for c in card["cells"]}},
                            headers={"Idempotency-Key": uuid.uuid4().hex})
            if done is not None and done.status_code == 200:
                http.headers["Authorization"] = f"Bearer {done.json()['session_token']}"
                if done.json()["instruction"]["status"] == "executed":
                    with log.lock:
                        log.transfers += 1
            if n % 3 == 0:
                log.call(http, "balance", "GET", "/api/v1/accounts")


def _shared_session(base: str, setup: Setup, log: Log, stop: threading.Event,
                    writes: bool) -> None:
    """One of several clients on one session token: reads, or entries (writes that do not
    rotate the token), at once with the others."""
    with httpx.Client(base_url=base, timeout=30,
                      headers={"Authorization": f"Bearer {setup.token}"}) as http:
        while not stop.is_set():
            if writes:
                log.call(http, "shared-enter", "POST", "/api/v1/transfers",
                         json={"from_account_id": setup.account_id, "amount": AMOUNT,
                               "payee_id": setup.payee_id},
                         headers={"Idempotency-Key": uuid.uuid4().hex})
            else:
                log.call(http, "shared-read", "GET", "/api/v1/accounts")
                log.call(http, "shared-read", "GET", "/api/v1/me")


def _run(threads: list[Callable[[], None]], seconds: float, stop: threading.Event,
         tick: Callable[[], None]) -> None:
    running = [threading.Thread(target=t, daemon=True) for t in threads]
    for t in running:
        t.start()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(min(1.0, max(0.0, end - time.monotonic())))
        tick()
    stop.set()
    for t in running:
        t.join(timeout=60)
        assert not t.is_alive(), "a client is stuck"


def _summary(label: str, log: Log, seconds: float) -> str:
    durations = sorted(d for _, _, d in log.calls)

    def p(q: float) -> float:
        return durations[min(len(durations) - 1, int(q * len(durations)))] * 1000

    statuses: dict[int, int] = {}
    for _, status, _ in log.calls:
        statuses[status] = statuses.get(status, 0) + 1
    return (f"{label}: {len(log.calls)} requests, {log.transfers} confirmed transfers "
            f"({log.transfers / seconds:.1f}/s) in {seconds:g} s; latency p50 "
            f"{statistics.median(durations) * 1000:.0f} ms, p99 {p(0.99):.0f} ms, "
            f"max {durations[-1] * 1000:.0f} ms; statuses {dict(sorted(statuses.items()))}")


def test_transfer_clients_and_shared_sessions_under_uvicorn(db: Database) -> None:
    """8 clients making transfers, each with its own session, while 4 more share two session
    tokens (two read, two enter transfers) and the clock moves a minute at a time, so that
    session touches collide: no 5xx, no request stuck, the money adds up."""
    clock.set_now(MOMENT)
    setups = [_customer(db, i) for i in range(TRANSFER_CLIENTS + 2)]
    movers, shared = setups[:TRANSFER_CLIENTS], setups[TRANSFER_CLIENTS:]
    log = Log()
    stop = threading.Event()
    with served(db) as base:
        threads: list[Callable[[], None]] = [
            (lambda s=s: _transfers(base, s, log, stop)) for s in movers]
        threads += [(lambda s=s, w=w: _shared_session(base, s, log, stop, w))
                    for s in shared for w in (False, True)]
        ticks = iter(range(10_000))

        def tick() -> None:  # every other second a minute passes: every session's touch is due
            if next(ticks) % 2 == 0:
                clock.advance(sessions.TOUCH_EVERY)

        _run(threads, SECONDS, stop, tick)
    print("\n" + _summary(db.dialect, log, SECONDS))
    assert log.errors == []
    assert [c for c in log.calls if c[1] >= 500] == []
    assert max(d for _, _, d in log.calls) < STUCK_S
    assert {s for name, s, _ in log.calls if name.startswith("shared")} <= {200, 201}
    assert log.transfers >= TRANSFER_CLIENTS
    with db.transaction() as s:
        paid = s.scalar(select(func.sum(Account.balance)).where(
            Account.id.in_([m.payee_account_id for m in movers])))
    assert paid == log.transfers * AMOUNT


def test_two_requests_with_one_token_both_complete(db: Database) -> None:
    """Regression: two concurrent requests with the same bearer token, each round with the
    session's touch due, both complete (they used to freeze the server for good on
    PostgreSQL)."""
    clock.set_now(MOMENT)
    setup = _customer(db, 0)
    barrier = threading.Barrier(2)
    results: list[tuple[int, float]] = []
    lock = threading.Lock()

    def one(base: str) -> None:
        with httpx.Client(base_url=base, timeout=STUCK_S,
                          headers={"Authorization": f"Bearer {setup.token}"}) as http:
            barrier.wait(timeout=10)
            started = time.monotonic()
            try:
                status = http.get("/api/v1/accounts").status_code
            except httpx.TimeoutException:
                status = 0
            with lock:
                results.append((status, time.monotonic() - started))

    with served(db) as base:
        for _ in range(10):
            clock.advance(sessions.TOUCH_EVERY)
            pair = [threading.Thread(target=one, args=(base,)) for _ in range(2)]
            for t in pair:
                t.start()
            for t in pair:
                t.join(timeout=30)
    assert len(results) == 20
    assert {status for status, _ in results} == {200}
    assert max(d for _, d in results) < STUCK_S


@pytest.fixture(autouse=True)
def _real_clock_afterwards() -> Iterator[None]:
    yield
    clock.set_now(None)
