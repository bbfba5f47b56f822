"""A local SMTP sink for the demo and the tests: a real SMTP server (aiosmtpd) in a background
thread that keeps every message it accepts in the mailbox table (``notification_mailbox``).

Messages are written by a second thread, after the SMTP reply: Kinko sends mail from inside
the outbox runner's transaction, and on SQLite that transaction holds the one write lock
until the send returns — a sink writing before it answers would wait for the very sender that
waits for it. :meth:`MailSink.flush` waits until everything received is stored.

It speaks the same protocol as a production relay, so Kinko's sender is tested end to end
without a network: recipients named in ``reject`` are refused with ``550`` (a permanent
failure, to show bounces), ``users`` turns on AUTH LOGIN/PLAIN, and ``tls_context`` offers
STARTTLS. It is for loopback use only: it relays nothing and keeps everything.
"""

from __future__ import annotations

import email
import logging
import queue
import threading
import time
from collections.abc import Iterable
from email.message import EmailMessage
from email.policy import default as default_policy
from ssl import SSLContext
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from kinko import clock
from kinko.db.engine import Database, get_database
from kinko.notifications import repository as repo

log = logging.getLogger(__name__)


def _text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    if part is None:
        return ""
    content = part.get_content()
    return content if isinstance(content, str) else ""


class _MailboxHandler:
    """aiosmtpd hooks: refuse chosen recipients, store what arrives."""

    def __init__(self, db: Database, reject: Iterable[str]) -> None:
        self.db = db
        self.rejected = {a.strip().lower() for a in reject}
        self._lock = threading.Lock()
        self.inbox: queue.Queue[tuple[str, list[str], bytes] | None] = queue.Queue()
        self._writer = threading.Thread(target=self._write_all, name="kinko-mail-sink",
                                        daemon=True)
        self._writer.start()

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        with self._lock:
            refused = address.strip().lower() in self.rejected
        if refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        self.inbox.put((str(envelope.mail_from or ""), list(envelope.rcpt_tos), raw))
        return "250 2.0.0 Message accepted for delivery"

    def _write_all(self) -> None:
        while (item := self.inbox.get()) is not None:
            try:
                self._store(*item)
            except Exception:  # a sink that dies on one message would lose all later ones
                log.exception("mail sink could not store a message")
            finally:
                self.inbox.task_done()
        self.inbox.task_done()

    def close(self) -> None:
        self.inbox.put(None)
        self._writer.join(timeout=60)

    def _store(self, mail_from: str, rcpt_tos: list[str], raw: bytes) -> None:
        message = email.message_from_bytes(raw, policy=default_policy)
        assert isinstance(message, EmailMessage)
        values: dict[str, Any] = {
            "received_at": clock.now(), "mail_from": mail_from[:320],
            "rcpt_to": ",".join(rcpt_tos), "subject": str(message["Subject"] or "")[:500],
            "message_id": str(message["Message-ID"] or "")[:255],
            "body": _text_of(message), "raw": raw.decode("utf-8", "replace"),
        }
        self.db.run(repo.store_mail, values)


class MailSink:
    """A running sink: ``host``/``port`` to point ``KINKO_SMTP_*`` at, ``stop()`` to end it."""

    def __init__(self, controller: Controller, handler: _MailboxHandler) -> None:
        self._controller = controller
        self._handler = handler
        self.host: str = controller.hostname
        self.port: int = controller.port

    def reject(self, address: str) -> None:
        """Refuse ``address`` with 550 from now on."""
        with self._handler._lock:
            self._handler.rejected.add(address.strip().lower())

    def accept(self, address: str) -> None:
        with self._handler._lock:
            self._handler.rejected.discard(address.strip().lower())

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until every message received so far is in the mailbox table."""
        deadline = time.monotonic() + timeout
        while self._handler.inbox.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

    def stop(self) -> None:
        """Stop listening, store what was received, end the writer."""
        self._controller.stop()
        self._handler.close()

    def __enter__(self) -> MailSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _authenticator(users: dict[str, str]) -> Any:
    def check(server: SMTP, session: Session, envelope: Envelope, mechanism: str,
              auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            login = auth_data.login.decode("utf-8", "replace")
            password = auth_data.password.decode("utf-8", "replace")
            if login in users and users[login] == password:
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    return check


def start_sink(host: str = "127.0.0.1", port: int = 8025, *, db: Database | None = None,
               reject: Iterable[str] = (), users: dict[str, str] | None = None,
               tls_context: SSLContext | None = None) -> MailSink:
    """Start the sink in a background thread and return once it accepts connections.

    Messages go to ``db`` (default: the settings' database), which must have the schema.
    """
    handler = _MailboxHandler(db or get_database(), reject)
    kwargs: dict[str, Any] = {}
    if users:
        # The sink runs on loopback; allowing AUTH without TLS lets tests cover login
        # without certificates. A production relay must require TLS first.
        kwargs.update(authenticator=_authenticator(users), auth_require_tls=False)
    if tls_context is not None:
        kwargs.update(tls_context=tls_context)
    controller = Controller(handler, hostname=host, port=port, **kwargs)
    controller.start()
    return MailSink(controller, handler)
