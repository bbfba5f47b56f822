"""`kinko demo` (create the demo bank and serve it) and `kinko serve`."""

from __future__ import annotations

import logging
import os
import threading

import typer

from kinko.clihelpers import DATABASE_URL_OPTION, both, fail, say
from kinko.db.engine import Database
from kinko.keys import serving_problems


def _batch_loop(db: Database, stop: threading.Event, every: float = 10.0) -> None:
    """The demo's stand-in for a scheduler: run due work (mail, future-dated transfers, the
    clearing network's answers) every few seconds. Production runs `kinko batch run` from cron.
    """
    from kinko.batch.service import run_due

    while not stop.wait(every):
        try:
            run_due(db)
        except Exception:
            logging.getLogger(__name__).exception("demo batch round failed")


def check_keys_for_serving() -> None:
    """Refuse to serve (exit code 2) with a missing, public or weak secret key: with the key
    anyone could forge operator cookies, CSRF tokens and the audit chain."""
    problems = serving_problems()
    if problems:
        # The problems are the key check's own words (English), between the two sentences.
        fail(f"{say('Kinko は安全な秘密鍵なしでは起動しません')}: {'; '.join(problems)}. "
             + say("`kinko keys generate` で鍵を作り、KINKO_SECRET_KEY に設定してください"))


def _demo_key() -> None:
    """The demo's own secret key: generated once into its data directory (mode 0600) and
    reused, unless KINKO_SECRET_KEY is set."""
    from kinko.config import get_settings, reset_settings
    from kinko.keys import ensure_key_file, key_file_path

    reset_settings()
    settings = get_settings()
    if settings.secret_key.get_secret_value():
        return
    path = key_file_path(settings)
    _, generated = ensure_key_file(path)
    if generated:
        typer.echo(say("秘密鍵を {path} に生成しました（0600）", path=path))


def _serve(url: str | None, host: str, port: int, demo_mode: bool, workers: int = 1) -> None:
    import uvicorn
    from sqlalchemy import inspect

    from kinko.config import get_settings, reset_settings
    from kinko.db.engine import get_database
    from kinko.web.app import create_app

    if demo_mode:
        os.environ["KINKO_DEMO"] = "1"
    reset_settings()
    check_keys_for_serving()
    db = get_database(url)
    if not inspect(db.engine).has_table("accounts"):
        fail(f"no Kinko schema in {db.url.render_as_string()}: run `kinko db upgrade` first")
    settings = get_settings()
    mail_sink = None
    if demo_mode:
        # The demo keeps its e-mail notices: a local SMTP sink, read at /demo/mailbox.
        from kinko.notifications.sink import start_sink

        try:
            mail_sink = start_sink(settings.smtp_host, settings.smtp_port, db=db)
        except OSError as exc:
            typer.echo(f"SMTP sink not started ({exc}); notices stay queued", err=True)
    stop = threading.Event()
    if demo_mode:
        threading.Thread(target=_batch_loop, args=(db, stop), daemon=True,
                         name="kinko-demo-batch").start()
    typer.echo(say("Kinko を {url} で公開しています（Ctrl-C で終了）",
                   url=f"http://{host}:{port}/"))
    try:
        if workers > 1:
            # Worker processes import the app by name and build it from the settings, so the
            # database travels in the environment (never in argv, where ps shows it).
            # uvicorn's supervisor restarts a worker that dies.
            os.environ["KINKO_DATABASE_URL"] = db.url.render_as_string(hide_password=False)
            uvicorn.run("kinko.web.app:create_app", factory=True, host=host, port=port,
                        workers=workers, log_level="info")
        else:
            uvicorn.run(create_app(db, settings), host=host, port=port, log_level="info")
    finally:
        stop.set()
        if mail_sink is not None:
            mail_sink.stop()


app = typer.Typer(help=both("デモ銀行"), invoke_without_command=True)


@app.callback()
def demo(
    ctx: typer.Context,
    serve: bool = typer.Option(True, "--serve/--no-serve", help="serve the app afterwards"),
    database_url: str | None = DATABASE_URL_OPTION,
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, help="port to listen on"),
) -> None:
    """デモ銀行を作成して公開 / create the demo bank (branches, customers, accounts, history)
    and serve it. With --no-serve only (re)create the data. Sub-commands act on the demo bank
    (e.g. inject an incoming transfer)."""
    _demo_key()
    if ctx.invoked_subcommand is not None:
        return
    from kinko.config import get_settings
    from kinko.db.engine import get_database
    from kinko.db.migrate import upgrade
    from kinko.demo.data import rebuild

    if serve:
        check_keys_for_serving()   # before the data is rebuilt, not after
    url = database_url or get_settings().effective_database_url
    upgrade(url)
    _, credentials = rebuild(get_database(url))
    from sqlalchemy import func, select

    from kinko.ledger.models import Account

    with get_database(url).transaction() as s:
        accounts = s.scalar(select(func.count()).select_from(Account)
                            .where(Account.customer_id.is_not(None)))
    typer.echo(say("デモ銀行を作成しました: お客さま 4 人、口座 {accounts} 件（{url}）",
                   accounts=accounts, url=url))
    # The credentials name the login page; point it at where this demo actually listens.
    typer.echo(credentials.replace("http://127.0.0.1:8000", f"http://{host}:{port}"))
    if serve:
        _serve(url, host, port, demo_mode=True)


def serve(
    database_url: str | None = DATABASE_URL_OPTION,
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, help="port to listen on"),
    workers: int = typer.Option(1, min=1, help="worker processes (PostgreSQL; SQLite has one "
                                "writer, so more than one rarely helps there)"),
) -> None:
    """既存のデータベースを公開 / serve an existing database."""
    _serve(database_url, host, port, demo_mode=False, workers=workers)
