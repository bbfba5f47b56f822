"""Outbox handler of e-mail notices (topic ``email.send``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kinko.notifications.service import EMAIL_TOPIC, send_queued
from kinko.outbox.service import handler


@handler(EMAIL_TOPIC)
def _send(session: Session, payload: dict[str, Any]) -> None:
    send_queued(session, payload)
