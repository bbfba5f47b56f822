"""Outbox handlers of the clearing adapter and the simulated network.

Each handler takes only keys and reloads, and each step moves a state only from the state
it expects, so a message handled twice (a retry after a lost commit) changes nothing twice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kinko.clearing import network, service
from kinko.outbox.service import handler


@handler(service.SEND_TOPIC)
def _send(session: Session, payload: dict[str, Any]) -> None:
    network.deliver(session, payload["transfer_ref"])


@handler(service.SEND_MANY_TOPIC)
def _send_many(session: Session, payload: dict[str, Any]) -> None:
    network.deliver_many(session, payload["transfer_refs"])


@handler(network.SETTLE_MANY_TOPIC)
def _settle_many(session: Session, payload: dict[str, Any]) -> None:
    network.settle_many(session, payload["transfer_refs"])


@handler(network.SETTLE_TOPIC)
def _settle(session: Session, payload: dict[str, Any]) -> None:
    network.settle(session, payload["transfer_ref"])


@handler(network.RECEIVE_TOPIC)
def _receive(session: Session, payload: dict[str, Any]) -> None:
    service.receive_incoming(session, **payload)
