"""An SMTP sink on a free loopback port per test, with the settings pointing at it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import datetime

import pytest

import kinko.notifications.handlers  # noqa: F401 - registers "email.send"
from kinko import clock
from kinko.config import reset_settings
from kinko.db import Database
from kinko.notifications.sink import MailSink, start_sink

NOON = datetime(2026, 11, 20, 12, 0, tzinfo=clock.JST)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(autouse=True)
def _noon() -> None:
    clock.set_now(NOON)


@pytest.fixture
def smtp_port(monkeypatch: pytest.MonkeyPatch) -> int:
    """A free port that the settings send to; nothing listens on it yet."""
    port = free_port()
    monkeypatch.setenv("KINKO_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("KINKO_SMTP_PORT", str(port))
    reset_settings()
    return port


@pytest.fixture
def sink(db: Database, smtp_port: int) -> Iterator[MailSink]:
    handle = start_sink("127.0.0.1", smtp_port, db=db, reject=["nobody@example.jp"])
    try:
        yield handle
    finally:
        handle.stop()
