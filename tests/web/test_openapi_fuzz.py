"""Schemathesis over the whole OpenAPI document (OPS-1, DESIGN.md "Errors and bad input"):
every operation, as a logged-in retail-003 customer, with generated valid and invalid input.
Every answer must be a non-5xx status the operation declares, with a declared content type
and a body that matches its schema.

The run reaches past "not found" and "wrong code": half of the generated ids are swapped for
the customer's own account, and half of the confirmations are made for an instruction entered
just before, with a valid one-time password from the customer's token (the real step-up).
A session the run ended (logout, a reported loss, a lockout from wrong codes) is replaced by a
new customer's, so later operations still run logged in.

Budget: ``KINKO_SCHEMATHESIS_EXAMPLES`` examples per operation on SQLite (default 20, about
1.5 minutes on two cores) and ``KINKO_SCHEMATHESIS_EXAMPLES_PG`` on PostgreSQL (default 10).
See docs/security-inputs.md.
"""

from __future__ import annotations

import contextlib
import os
import random
import traceback
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kinko import clock
from kinko.config import Settings
from kinko.db import Database
from kinko.ledger.books import ensure_books
from kinko.payeasy.seed import seed_demo
from kinko.web.app import create_app
from tests.web.conftest import Customer, login

EXAMPLES = int(os.environ.get("KINKO_SCHEMATHESIS_EXAMPLES", "20"))
PG_EXAMPLES = int(os.environ.get("KINKO_SCHEMATHESIS_EXAMPLES_PG", "10"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]
BILL = {"agency_code": "12345", "customer_number": "10000000000000000001",
        "confirmation_number": "123456"}


@dataclass
class Run:
    """The logged-in customer the generated requests act for, and what the run saw."""

    db: Database
    app: FastAPI
    client: TestClient
    customer: Customer | None = None
    rng: random.Random = field(default_factory=lambda: random.Random(8))
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    step_ups: int = 0

    @property
    def me(self) -> Customer:
        assert self.customer is not None
        return self.customer

    def new_customer(self) -> None:
        user_id, account_id, token = login(self.db, balance=10**9)
        payee = self.me.payee if self.customer else ("001", "0000001")
        self.customer = Customer(self.client, user_id, account_id, payee, token)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.me.token}"}

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any] | None:
        response = self.client.post(path, json=body, headers={
            **self.headers(), "Idempotency-Key": uuid.uuid4().hex})
        if response.status_code not in (200, 201):
            return None  # e.g. the demo bill is paid already: keep the generated id
        answer: dict[str, Any] = response.json()
        self.adopt(answer)
        return answer

    def otp(self) -> str:
        # A code is accepted once within its time step: each one comes from the next step.
        clock.advance(timedelta(seconds=30))
        return self.me.otp(self.db)

    def adopt(self, body: object) -> None:
        if isinstance(body, dict) and isinstance(body.get("session_token"), str):
            self.me.token = body["session_token"]

    # --- the real step-up ----------------------------------------------------------------

    def entered(self, path: str) -> int | None:
        """A fresh instruction of the kind ``path`` confirms, or ``None``."""
        me = self.me
        deposit = {"from_account_id": me.account_id, "amount": 100_000, "term_months": 12}
        quote: dict[str, Any] | None
        if path.startswith("/api/v1/transfers/"):
            quote = self.post("/api/v1/transfers", {
                "from_account_id": me.account_id, "amount": 1_000, "bank_code": "0999",
                "branch_code": me.payee[0], "account_type": "ordinary",
                "number": me.payee[1]})
        elif path.startswith("/api/v1/payeasy/payments/"):
            quote = self.post("/api/v1/payeasy/payments",
                              {"from_account_id": me.account_id, **BILL})
        elif path.startswith("/api/v1/time-deposits/cancellations/"):
            opened = self.post("/api/v1/time-deposits", deposit)
            done = opened and self.post(f"/api/v1/time-deposits/{opened['id']}/confirm",
                                        {"otp_code": self.otp()})
            if not done:
                return None
            listed = self.client.get("/api/v1/time-deposits", headers=self.headers())
            active = [d["id"] for d in listed.json()["time_deposits"]
                      if d["state"] == "active"]
            quote = active and self.post(
                f"/api/v1/time-deposits/{max(active)}/cancellation", {})
        elif path.startswith("/api/v1/time-deposits/"):
            quote = self.post("/api/v1/time-deposits", deposit)
        else:
            return None
        return int(quote["id"]) if quote else None

    def prepare(self, case: schemathesis.Case) -> None:
        """Swap some generated ids for the customer's own, and answer some step-ups right."""
        path = case.operation.path
        params = case.path_parameters or {}
        if "account_id" in params and self.rng.random() < 0.5:
            params["account_id"] = self.me.account_id
        body = case.body
        if isinstance(body, dict):
            for name in ("from_account_id", "account_id"):
                if name in body and self.rng.random() < 0.5:
                    body[name] = self.me.account_id
        if _asks_step_up(case) and isinstance(body, dict) and (
                self.rng.random() < 0.5):
            if "instruction_id" in params:
                instruction_id = self.entered(path)
                if instruction_id is not None:
                    params["instruction_id"] = instruction_id
            body["otp_code"] = self.otp()
            self.step_ups += 1

    def settle(self, case: schemathesis.Case, response: Any) -> None:
        """Keep a rotated session token; replace a session the request ended."""
        self.statuses[(case.operation.label, response.status_code)] += 1
        with contextlib.suppress(ValueError):
            self.adopt(response.json())
        if response.status_code in (202, 204, 401, 403, 423) or (
                case.operation.path.startswith("/api/v1/auth/")):
            alive = self.client.get("/api/v1/me", headers=self.headers())
            if alive.status_code != 200:
                self.new_customer()


# Operations whose body carries the step-up answers (StepUpAnswers): the confirmations, a raise
# of the limits and a debit card's registration.
STEP_UP = ("/confirm", "PUT /api/v1/limits", "POST /api/v1/debit-cards")


def _asks_step_up(case: schemathesis.Case) -> bool:
    label = case.operation.label
    return label.endswith(STEP_UP[0]) or label in STEP_UP[1:]


@pytest.fixture
def run(db: Database) -> Iterator[Run]:
    clock.set_now(datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST))
    with db.transaction() as s:
        seed_demo(s, dict(ensure_books(s)))
    app = create_app(db, Settings(demo=True))
    with TestClient(app) as client:
        r = Run(db, app, client)
        r.new_customer()
        r.customer = Customer(client, r.me.user_id, r.me.account_id,
                              _payee(db), r.me.token)
        yield r
    total = sum(r.statuses.values())
    operations = len({label for label, _ in r.statuses})
    print(f"\nschemathesis: {total} requests over {operations} operations, "
          f"{r.step_ups} answered with a valid one-time password; statuses: "
          f"{sorted(Counter(s for _, s in r.statuses.elements()).items())}")


def _payee(db: Database) -> tuple[str, str]:
    from kinko.ledger.models import Account
    from tests import factories

    with db.transaction() as s:
        target = s.get(Account, factories.account(s, holder="ｻﾄｳ ﾊﾅｺ"))
        assert target is not None
        return target.branch_code, target.number


def _cases(operation: APIOperation) -> st.SearchStrategy[schemathesis.Case]:
    """Valid and invalid requests for ``operation``."""
    strategies = [operation.as_strategy(GenerationMode.POSITIVE)]
    with contextlib.suppress(Exception):  # an operation with nothing to make invalid
        strategies.append(operation.as_strategy(GenerationMode.NEGATIVE))
    return st.one_of(strategies)


@pytest.mark.req("OPS-1")
@pytest.mark.slow
def test_every_operation_answers_within_its_schema(run: Run) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", run.app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 45
    examples = EXAMPLES if run.db.engine.dialect.name == "sqlite" else PG_EXAMPLES

    for operation in operations:
        @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=_cases(operation))
        def check(case: schemathesis.Case) -> None:
            run.prepare(case)
            response = case.call(headers=run.headers())
            run.settle(case, response)
            case.validate_response(response, checks=CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{operation.label}:\n" + "".join(
                traceback.format_exception(exc))[-4000:])
    assert not failures, "\n\n".join(failures)
    called = {label for label, _ in run.statuses}
    assert called == {o.label for o in operations}, {o.label for o in operations} - called
