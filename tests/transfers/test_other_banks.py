"""Transfers to other banks through the clearing adapter and the simulated network
(XFER-1, XFER-7, XFER-8): accepted, or returned with the funds back and the fee kept."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from kinko import clock
from kinko.batch.service import run_due
from kinko.clearing.network import close_remote_account, seed_network
from kinko.clearing.service import outgoing_status
from kinko.db import Database
from kinko.instructions.models import Instruction, InstructionStatus
from kinko.instructions.service import Actor, StepUpProof
from kinko.ledger.books import book
from kinko.ledger.models import Account
from kinko.transfers import service as transfers
from kinko.transfers.errors import PayeeAccountNotFound
from tests import factories

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST)


def _send(db: Database, bank: str, number: str, amount: int) -> tuple[Actor, int, int]:
    clock.set_now(NOW)
    with db.transaction() as s:
        seed_network(s)
        actor, acc = factories.retail_actor(s, balance=100_000)
    quote = db.run(lambda s: transfers.enter(
        s, actor, key=f"ob-{number}", from_account_id=acc, amount=amount, bank_code=bank,
        branch_code="001", account_type="ordinary", number=number))
    assert quote.details["payee"]["own_bank"] is False and quote.details["type"] == "furikomi"
    db.run(lambda s: transfers.confirm(s, actor, quote.instruction.id, StepUpProof(
        actor.user_id, quote.instruction.digest, clock.now())))
    return actor, acc, quote.instruction.id


def _state(db: Database, instruction_id: int) -> tuple[InstructionStatus, str | None]:
    with db.transaction() as s:
        i = s.get(Instruction, instruction_id)
        assert i is not None
        status = outgoing_status(s, f"instruction:{instruction_id}")
        return i.status, status.state.value if status else None


def _balance(db: Database, account_id: int) -> int:
    with db.transaction() as s:
        return s.get(Account, account_id).balance  # type: ignore[union-attr]


@pytest.mark.req("XFER-8")
def test_outgoing_transfer_is_sent_and_accepted(db: Database) -> None:
    _, acc, iid = _send(db, "0005", "2222222", 50_000)
    assert _balance(db, acc) == 100_000 - 50_000 - 440  # other bank ≥ 30,000: 440 yen
    for minutes in (1, 2):
        run_due(db, at=NOW + timedelta(minutes=minutes))
    assert _state(db, iid) == (InstructionStatus.EXECUTED, "accepted")


@pytest.mark.req("XFER-7")
def test_returned_transfer_gives_the_funds_back_and_keeps_the_fee(db: Database) -> None:
    _, acc, iid = _send(db, "0001", "1111111", 20_000)
    db.run(lambda s: close_remote_account(s, bank_code="0001", branch_code="001",
                                          account_type="ordinary", number="1111111"))
    for minutes in (1, 2, 3):
        run_due(db, at=NOW + timedelta(minutes=minutes))
    status, network = _state(db, iid)
    assert status is InstructionStatus.RETURNED and network == "returned"
    assert _balance(db, acc) == 100_000 - 330  # < 30,000: 330 yen, not refunded
    with db.transaction() as s:
        assert s.get(Account, book(s, "clearing")).balance == 0  # type: ignore[union-attr]


@pytest.mark.req("XFER-1")
def test_unknown_bank_branch_or_account_is_refused_at_entry(db: Database) -> None:
    from kinko.errors import DomainError

    clock.set_now(NOW)
    with db.transaction() as s:
        seed_network(s)
        actor, acc = factories.retail_actor(s, balance=100_000)
    for bank, branch, number, error in (("0005", "001", "9999999", PayeeAccountNotFound),
                                        ("0002", "001", "2222222", DomainError),
                                        ("0005", "998", "2222222", DomainError)):
        with pytest.raises(error):
            db.run(lambda s, b=bank, br=branch, n=number: transfers.enter(
                s, actor, key=f"x{b}{br}{n}", from_account_id=acc, amount=1_000,
                bank_code=b, branch_code=br, account_type="ordinary", number=n))
