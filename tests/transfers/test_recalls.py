"""XFER-5: recall (組戻) of same-day transfers through the operator queue, fee via the ledger."""

from __future__ import annotations

from datetime import datetime

import pytest

from kinko import clock
from kinko.db import Database
from kinko.instructions.models import Instruction, InstructionStatus
from kinko.instructions.service import StepUpProof
from kinko.ledger.books import book
from kinko.ledger.models import Account
from kinko.transfers import recalls
from kinko.transfers import service as transfers
from kinko.transfers.errors import NotRecallable
from kinko.transfers.models import RecallState
from tests import factories

pytestmark = pytest.mark.req("XFER-5")


def _executed(db: Database, value_date: object = None) -> tuple[int, int, int]:
    clock.set_now(datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST))
    with db.transaction() as s:
        actor, acc = factories.retail_actor(s, balance=50_000)
        payee = s.get(Account, factories.account(s, holder="ｻﾄｳ ﾊﾅｺ"))
        assert payee is not None
        pid = payee.id
    quote = db.run(lambda s: transfers.enter(
        s, actor, key="r", from_account_id=acc, amount=10_000, bank_code="0999",
        branch_code=payee.branch_code, account_type="ordinary", number=payee.number,
        value_date=value_date))
    db.run(lambda s: transfers.confirm(s, actor, quote.instruction.id, StepUpProof(
        actor.user_id, quote.instruction.digest, clock.now())))
    return quote.instruction.id, acc, pid


def _balance(db: Database, account_id: int) -> int:
    with db.transaction() as s:
        return s.get(Account, account_id).balance  # type: ignore[union-attr]


def test_recall_charges_the_fee_and_returns_the_funds(db: Database) -> None:
    instruction_id, acc, payee = _executed(db)
    recall = db.run(lambda s: recalls.request(s, instruction_id=instruction_id,
                                              operator="operator:7", reason="誤振込"))
    assert recall.fee == 880 and _balance(db, acc) == 50_000 - 10_000 - 880
    with db.transaction() as s:
        assert [r.id for r in recalls.queue(s)] == [recall.id]
    again = db.run(lambda s: recalls.request(s, instruction_id=instruction_id,
                                             operator="operator:7", reason="誤振込"))
    assert again.id == recall.id and _balance(db, acc) == 39_120  # fee charged once
    done = db.run(lambda s: recalls.decide(s, recall_id=recall.id, operator="operator:8",
                                           funds_returned=True))
    assert done.state is RecallState.COMPLETED
    assert _balance(db, acc) == 49_120 and _balance(db, payee) == 0
    with db.transaction() as s:
        assert s.get(Instruction, instruction_id).status is InstructionStatus.RECALLED  # type: ignore[union-attr]
        assert s.get(Account, book(s, "fee_income")).balance == 880  # type: ignore[union-attr]


def test_refused_recall_keeps_the_fee(db: Database) -> None:
    instruction_id, acc, payee = _executed(db)
    recall = db.run(lambda s: recalls.request(s, instruction_id=instruction_id,
                                              operator="operator:7", reason="誤振込"))
    db.run(lambda s: recalls.decide(s, recall_id=recall.id, operator="operator:8",
                                    funds_returned=False))
    assert _balance(db, acc) == 39_120 and _balance(db, payee) == 10_000
    with pytest.raises(NotRecallable):
        db.run(lambda s: recalls.decide(s, recall_id=recall.id, operator="operator:8",
                                        funds_returned=True))


def test_only_executed_same_day_transfers_can_be_recalled(db: Database) -> None:
    from datetime import date

    instruction_id, acc, _ = _executed(db, value_date=date(2026, 11, 24))
    with pytest.raises(NotRecallable):
        db.run(lambda s: recalls.request(s, instruction_id=instruction_id,
                                         operator="operator:7", reason="x"))
    with pytest.raises(NotRecallable):
        db.run(lambda s: recalls.request(s, instruction_id=999_999, operator="operator:7",
                                         reason="x"))
    assert _balance(db, acc) == 50_000
