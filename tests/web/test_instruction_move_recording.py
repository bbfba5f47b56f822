"""An instruction's move and the request's idempotency key are one statement on both
databases (PostgreSQL: a data-modifying CTE; SQLite: the view ``proc_instruction_move``'s
trigger): the key is recorded only if the instruction moved, and a key recorded first by
another request undoes the move."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from kinko import clock
from kinko.db import Database
from kinko.errors import IdempotencyMismatch
from kinko.idempotency.models import IdempotencyRecord
from kinko.instructions import service as instructions
from kinko.instructions.models import Instruction
from kinko.instructions.models import InstructionStatus as St
from tests.querycount import counting
from tests.web.conftest import Customer


def _entered(customer: Customer) -> int:
    quote = customer.client.post("/api/v1/transfers", headers={
        "Idempotency-Key": uuid.uuid4().hex}, json={
        "from_account_id": customer.account_id, "amount": 1_000, "bank_code": "0999",
        "branch_code": customer.payee[0], "account_type": "ordinary",
        "number": customer.payee[1]})
    assert quote.status_code == 201, quote.text
    return int(quote.json()["id"])


def _record(key: str) -> instructions.KeyRecord:
    return instructions.KeyRecord("test.confirm", key, {"k": key},
                                  lambda i: {"status": i.status.value})


def _keys(db: Database, key: str) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(IdempotencyRecord)
                        .where(IdempotencyRecord.key == key)) or 0


def test_the_key_is_recorded_only_with_the_move(customer: Customer, db: Database) -> None:
    instruction_id = _entered(customer)
    now = clock.now()
    with db.transaction() as s:
        loaded = s.get(Instruction, instruction_id)
        assert loaded is not None
        # Not in the status named: nothing moves, no key, the loaded copy is as it was.
        assert not instructions.transition(s, instruction_id, frm=St.ACCEPTED, to=St.EXECUTED,
                                           key=_record("a"), finished_at=now)
        assert loaded.status is St.ENTERED and loaded.finished_at is None
    assert _keys(db, "a") == 0
    with counting(db.engine) as found, db.transaction() as s:
        loaded = s.get(Instruction, instruction_id)  # held: the identity map's is weak
        assert loaded is not None
        assert instructions.transition(s, instruction_id, frm=St.ENTERED, to=St.EXECUTED,
                                       key=_record("b"), confirmed_at=now, finished_at=now)
        assert found.count == 2, found  # the read above, then one statement
    with db.transaction() as s:
        moved = s.get(Instruction, instruction_id)
        assert moved is not None and moved.status is St.EXECUTED
        assert moved.confirmed_at == now and moved.finished_at == now and moved.entry_id is None
        kept = s.get(IdempotencyRecord, ("test.confirm", "b"))
        assert kept is not None and kept.response == '{"status": "executed"}'


def test_a_key_recorded_first_undoes_the_move(customer: Customer, db: Database) -> None:
    instruction_id = _entered(customer)
    with db.transaction() as s:
        s.add(IdempotencyRecord(scope="test.confirm", key="c", request_hash="0" * 64,
                                response=None, created_at=clock.now()))
    with pytest.raises(IdempotencyMismatch), db.transaction() as s:
        loaded = s.get(Instruction, instruction_id)  # held: the identity map's is weak
        assert loaded is not None
        instructions.transition(s, instruction_id, frm=St.ENTERED, to=St.EXECUTED,
                                key=_record("c"), finished_at=clock.now())
    with db.transaction() as s:
        still = s.get(Instruction, instruction_id)
        assert still is not None and still.status is St.ENTERED and still.finished_at is None
