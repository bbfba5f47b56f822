"""Send one e-mail over SMTP (smtplib), telling permanent failures from temporary ones.

A permanent failure — the server refuses the recipient or the message with a 5xx reply, or
the address cannot be an address at all — raises :class:`PermanentFailure`: retrying cannot
help, so the caller records a bounce. Everything else (connection refused, timeouts, 4xx
replies, a refused login) propagates unchanged, so the outbox retries later.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr

from kinko import clock
from kinko.config import Settings

TIMEOUT = 20.0  # seconds; a hung relay must not hold the outbox row for ever
# One address, no display name, nothing that could end a header line (header injection).
_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


class PermanentFailure(Exception):
    """The mail can never be delivered as addressed; ``reason`` says why (the SMTP reply)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def valid_address(address: str) -> bool:
    return isinstance(address, str) and len(address) <= 254 and bool(_ADDRESS.match(address))


def _domain(mail_from: str) -> str:
    address = parseaddr(mail_from)[1]
    return address.rpartition("@")[2] or "kinko.example.jp"


def build_message(*, to: str, subject: str, body: str, settings: Settings) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = make_msgid(domain=_domain(settings.mail_from))
    # RFC 3834: an automatic notice, so auto-responders do not answer it.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body, charset="utf-8")
    return message


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {words}"[:500]


def send(message: EmailMessage, settings: Settings, *,
         ssl_context: ssl.SSLContext | None = None) -> None:
    """Deliver ``message`` to its one recipient through the configured relay."""
    to = str(message["To"])
    if not valid_address(to):
        raise PermanentFailure(f"invalid address {to!r}")
    envelope_from = parseaddr(settings.mail_from)[1]
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT) as smtp:
        smtp.ehlo()
        if settings.smtp_starttls:
            smtp.starttls(context=ssl_context or ssl.create_default_context())
            smtp.ehlo()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
        try:
            smtp.send_message(message, from_addr=envelope_from, to_addrs=[to])
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            if 500 <= code < 600:
                raise PermanentFailure(_reply(code, text)) from exc
            raise
        except smtplib.SMTPDataError as exc:
            if 500 <= exc.smtp_code < 600:
                raise PermanentFailure(_reply(exc.smtp_code, exc.smtp_error)) from exc
            raise
