"""The sink command: a real process listening on loopback, stopped by TERM (NOTIF-1)."""

from __future__ import annotations

import signal
import smtplib
import subprocess
import sys

import pytest

from kinko.db import Database
from kinko.notifications.service import mailbox
from tests.notifications.conftest import free_port

SCRIPT = """
import typer
from kinko.notifications.cli import bounce, sink
app = typer.Typer()
app.command()(sink)
app.command()(bounce)
app()
"""


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_sink_command_receives_mail_and_stops_cleanly_on_a_signal(
        db: Database, stop_signal: signal.Signals) -> None:
    """TERM from a process manager and INT from Ctrl-C both end the sink with status 0."""
    port = free_port()
    url = db.url.render_as_string(hide_password=False)
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, "sink", "--host", "127.0.0.1", "--port", str(port),
         "--reject", "nobody@example.jp", "--database-url", url],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        assert "SMTP sink on 127.0.0.1" in proc.stdout.readline()
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.sendmail("bank@example.jp", ["taro@example.jp"],
                          b"Subject: hello\r\n\r\nbody\r\n")
            try:
                smtp.sendmail("bank@example.jp", ["nobody@example.jp"], b"Subject: x\r\n\r\n")
                raise AssertionError("the rejected address was accepted")
            except smtplib.SMTPRecipientsRefused as exc:
                assert exc.recipients["nobody@example.jp"][0] == 550
        proc.send_signal(stop_signal)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert [(m.subject, m.to) for m in db.run(mailbox)] == [("hello", ["taro@example.jp"])]
