"""Fixtures of the verification tests: an individual with a registered document face, and the
one helper that signs an operator in to the console."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kinko import clock
from kinko.auth.effects import EMAIL_TOPIC
from kinko.backoffice.models import OperatorRole
from kinko.backoffice.operators import create_operator
from kinko.db import Database
from kinko.outbox.models import OutboxMessage
from kinko.policy import current_policy
from kinko.verification import service
from tests import factories
from tests.operator_login import sign_in_operator as sign_in_console
from tests.verification.faces import photo

START = datetime(2026, 4, 1, 10, 0, tzinfo=clock.JST)


@dataclass
class Individual:
    customer_id: int
    user_id: int
    account_id: int


def individual(db: Database, face: str = "obama") -> Individual:
    """An individual with an internet banking user, a funded account, and the identity
    document's face registered at account opening (now)."""
    with db.transaction() as s:
        actor, account_id = factories.retail_actor(s, balance=100_000)
        service.register_document_face(s, customer_id=actor.customer_id, photo=photo(face),
                                       actor="operator:opening")
        return Individual(actor.customer_id, actor.user_id, account_id)


@pytest.fixture
def person(db: Database) -> Individual:
    clock.set_now(START)
    return individual(db)


def mails(db: Database, template: str) -> list[dict[str, object]]:
    with db.transaction() as s:
        payloads = s.execute(select(OutboxMessage.payload).where(
            OutboxMessage.topic == EMAIL_TOPIC)).scalars().all()
    return [p for p in map(json.loads, payloads) if p["template"] == template]


def reviewers(db: Database) -> tuple[int, int]:
    with db.transaction() as s:
        a = create_operator(s, code="K001", name="審査 一郎", roles=[OperatorRole.KYC_REVIEWER],
                            actor="test")
        b = create_operator(s, code="K002", name="審査 二郎", roles=[OperatorRole.KYC_REVIEWER],
                            actor="test")
        return a.id, b.id


def sign_in_operator(client: TestClient, db: Database, operator_id: int) -> None:
    """THE one place these tests sign an operator in to the console (password + TOTP on
    the login page, tests/operator_login.py); the client then holds the operator cookie."""
    from kinko.backoffice.models import Operator

    with db.transaction() as s:
        operator = s.get(Operator, operator_id)
        assert operator is not None
        code = operator.code
    sign_in_console(client, code, db=db)


def policy_days() -> tuple[int, int, int]:
    kyc = current_policy().kyc
    return kyc.interval_days, kyc.deadline_days, kyc.face_image_retention_days
