"""Command-line actions on e-mail: run the local SMTP sink, record a bounce by hand."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import typer

from kinko.clihelpers import DATABASE_URL_OPTION, database, fail, say


def sink(
    host: str | None = typer.Option(None, help="address to listen on (default KINKO_SMTP_HOST)"),
    port: int | None = typer.Option(None, help="port (default KINKO_SMTP_PORT)"),
    reject: list[str] = typer.Option([], "--reject",
                                     help="refuse this recipient with 550 (repeatable)"),
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """デモ用 SMTP サーバー / run the local SMTP sink; mail shows at /demo/mailbox."""
    from kinko.config import get_settings
    from kinko.notifications.sink import start_sink

    settings = get_settings()
    host = host or settings.smtp_host
    port = port or settings.smtp_port
    try:
        handle = start_sink(host, port, db=database(database_url), reject=reject)
    except (OSError, RuntimeError) as exc:
        fail(f"cannot listen on {host}:{port}: {exc}")
    # TERM (a process manager) and INT (Ctrl-C) only set a flag: raising from a signal handler
    # can land anywhere in the main thread — inside the shutdown below, or in click's own code,
    # which turns a stray KeyboardInterrupt into exit status 130 instead of a clean stop.
    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    typer.echo(say("SMTP を {host}:{port} で受信中（Ctrl-C で終了）", host=host, port=port))
    try:
        while not stopping.wait(1.0):
            pass
    finally:
        handle.stop()


def bounce(
    address: str = typer.Argument(..., help="e-mail address"),
    reason: str = typer.Option("bounced (recorded by an operator)", help="why"),
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """配信不能を記録 / record that mail to ADDRESS cannot be delivered (CTR-2)."""
    from kinko.errors import DomainError
    from kinko.notifications.service import bounced_since, record_bounce

    db = database(database_url)
    try:
        db.run(record_bounce, address, reason)
    except DomainError as exc:
        fail(f"{exc.describe('ja')} / {exc.describe('en')}")
    since = db.run(bounced_since, address)
    typer.echo(say("記録しました: {address} は {since} から配信不能です", address=address,
                   since=f"{since:%Y-%m-%d %H:%M}")
               if since else say("記録しました: {address}", address=address))
