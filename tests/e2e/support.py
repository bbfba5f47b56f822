"""Shared by the authentication web tests and the browser tests: the demo bank with its demo
users, the confirmation codes the server drew, token codes, and a real HTTP server."""

from __future__ import annotations

import base64
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import pyotp
import pytest
import uvicorn
from fastapi import FastAPI

from kinko import clock
from kinko.auth import challenges
from kinko.db import Database
from kinko.demo.data import create
from kinko.web import demo_users
from kinko.web.demo_users import DemoCredential, seed_demo_users

# A Friday, 10:00 in Tokyo: a business day before the same-day cutoff.
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST)


@dataclass
class Demo:
    ids: dict[str, int]
    users: dict[str, DemoCredential]   # by login ID (operators by code)

    def user(self, login_id: str) -> DemoCredential:
        return self.users[login_id]


def build_demo(db: Database) -> Demo:
    """The demo bank and its users, as ``kinko demo`` creates them."""
    def build(s):  # type: ignore[no-untyped-def]
        ids = create(s, today=clock.today())
        return ids, seed_demo_users(s, ids)

    ids, credentials = db.run(build)
    return Demo(ids, {c.login_id: c for c in credentials})


def totp(seed: bytes, moment: datetime | None = None) -> str:
    """The code a token with ``seed`` shows at ``moment`` (default: Kinko's clock)."""
    at = clock.now() if moment is None else moment
    return pyotp.TOTP(base64.b32encode(seed).decode()).at(at)


def sato_code(moment: datetime | None = None) -> str:
    return totp(demo_users.SATO_TOKEN_SEED, moment)


def operator_totp(code: str, moment: datetime | None = None) -> str:
    """The code a demo operator's authenticator shows at ``moment``."""
    return totp(demo_users.operator_seed(code), moment)


def shoji_code(moment: datetime | None = None) -> str:
    return totp(demo_users.SHOJI_TOKEN_SEED, moment)


class Codes:
    """The confirmation codes the server drew, by challenge id: a person reads the image, a
    test reads this book (the server runs in the test's process)."""

    def __init__(self) -> None:
        self.by_challenge: dict[str, str] = {}

    def install(self, monkeypatch: pytest.MonkeyPatch) -> Codes:
        original = challenges.issue_confirmation_code

        def recording(*args, **kwargs):  # type: ignore[no-untyped-def]
            issued = original(*args, **kwargs)
            self.by_challenge[issued.challenge_id] = issued.code
            return issued

        monkeypatch.setattr(challenges, "issue_confirmation_code", recording)
        return self

    def on_page(self, html: str) -> tuple[str, str]:
        """(challenge id, code) of the confirmation code on a login page."""
        found = re.search(r'name="challenge_id" value="([^"]+)"', html)
        assert found, "no confirmation code on the page"
        return found.group(1), self.by_challenge[found.group(1)]


def all_routes(app: object) -> list[tuple[str, frozenset[str]]]:
    """Every (path, methods) the app serves, through included routers at any depth.

    FastAPI keeps included routers as branches (``effective_candidates``); each candidate
    carries the full path and its original route's methods.
    """
    found: list[tuple[str, frozenset[str]]] = []

    def walk(routes: list[object]) -> None:
        for route in routes:
            branch = getattr(route, "effective_candidates", None)
            if callable(branch):
                walk(branch())
                continue
            path = getattr(route, "path", None)
            original = getattr(route, "original_route", route)
            methods = getattr(original, "methods", None)
            if path and methods:
                found.append((path, frozenset(methods) - {"HEAD"}))

    walk(list(getattr(app, "routes", [])))
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free port in a background thread; yield its URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off",
                                           ws="none"))
    thread = threading.Thread(target=server.run, name="kinko-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
