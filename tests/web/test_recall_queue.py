"""The operator's recall (組戻) queue page (XFER-5, OPS-2): take a recall, charge the fee,
decide it; CSRF and operator login required."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from kinko import clock
from kinko.backoffice.models import OperatorRole
from kinko.config import Settings
from kinko.db import Database
from kinko.instructions.service import StepUpProof
from kinko.ledger.models import Account
from kinko.transfers import service as transfers
from kinko.web.app import create_app
from kinko.web.pages.operator import OPERATOR_COOKIE
from tests import factories

pytestmark = pytest.mark.req("XFER-5")
HTML = {"Accept": "text/html"}


def _executed_transfer(db: Database) -> tuple[int, int]:
    clock.set_now(datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST))
    with db.transaction() as s:
        actor, acc = factories.retail_actor(s, balance=50_000)
        payee = s.get(Account, factories.account(s, holder="ｻﾄｳ ﾊﾅｺ"))
        assert payee is not None
    quote = db.run(lambda s: transfers.enter(
        s, actor, key="rq", from_account_id=acc, amount=10_000, bank_code="0999",
        branch_code=payee.branch_code, account_type="ordinary", number=payee.number))
    db.run(lambda s: transfers.confirm(s, actor, quote.instruction.id, StepUpProof(
        actor.user_id, quote.instruction.digest, clock.now())))
    return quote.instruction.id, acc


def _balance(db: Database, account_id: int) -> int:
    with db.transaction() as s:
        return s.get(Account, account_id).balance  # type: ignore[union-attr]


def test_recall_queue_takes_and_decides_a_recall(db: Database) -> None:
    instruction_id, acc = _executed_transfer(db)
    with db.transaction() as s:
        _, cookie = factories.operator_session(s, "T900", [OperatorRole.TELLER])
    with TestClient(create_app(db, Settings())) as client:
        client.headers.update(HTML)
        assert client.get("/operator/recalls", follow_redirects=False).status_code == 303
        client.cookies.set(OPERATOR_COOKIE, cookie)
        page = client.get("/operator/recalls").text
        csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
        assert csrf
        refused = client.post("/operator/recalls", data={"instruction_id": str(instruction_id),
                                                          "reason": "誤振込"})
        assert refused.status_code == 403 and _balance(db, acc) == 40_000
        taken = client.post("/operator/recalls", data={
            "csrf_token": csrf.group(1), "instruction_id": str(instruction_id),
            "reason": "誤振込"})
        assert taken.status_code == 200 and "880円" in taken.text
        assert _balance(db, acc) == 40_000 - 880
        recall_id = re.search(r'action="/operator/recalls/(\d+)/decide"', taken.text)
        assert recall_id
        bad = client.post("/operator/recalls", data={
            "csrf_token": csrf.group(1), "instruction_id": "abc", "reason": "x"})
        assert bad.status_code == 422
        done = client.post(f"/operator/recalls/{recall_id.group(1)}/decide",
                           data={"csrf_token": csrf.group(1), "outcome": "returned"})
        assert done.status_code == 200 and "処理待ちの組戻はありません" in done.text
        assert _balance(db, acc) == 50_000 - 880
