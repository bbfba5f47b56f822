"""Execution of bulk requests under faults and races (BULK-1, APR-1): a run killed mid-file
pays nobody twice when run again; two approvers and two runners at once give one execution;
money is conserved whatever the payees (property test)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from kinko import clock
from kinko.batch.service import run_due
from kinko.bulk import service as bulk
from kinko.bulk.errors import ApprovalStale
from kinko.bulk.models import BulkLine, BulkRequest, BulkState, LineState
from kinko.corporate import service as corporate
from kinko.db import Database
from kinko.instructions.service import StepUpProof
from kinko.ledger.models import JournalEntry
from kinko.ledger.service import check_books
from tests.corporate import builders
from tests.corporate.bulkkit import (
    FRIDAY,
    OWN,
    RUN_AT,
    approve,
    balance,
    own_payees,
    run_batch,
    transfer_file,
)


def _ready(db: Database, n: int, *, mode: str = "single", amounts: list[int] | None = None
           ) -> tuple[builders.Corp, int, list[tuple[str, str, str, int]]]:
    clock.set_now(FRIDAY)
    corp = db.run(builders.contract)
    db.run(lambda s: corporate.set_approval_mode(s, corp.actor("master"), kind="bulk",
                                                 mode=mode))
    own = db.run(lambda s: own_payees(s, n))
    amounts = amounts or [1_000 + i for i in range(n)]
    data = transfer_file([(OWN, b, num, h, a) for (b, num, h, _), a in zip(own, amounts,
                                                                         strict=True)])
    req = db.run(lambda s: bulk.from_zengin(s, corp.actor("master"), data))
    return corp, req.id, own


@pytest.mark.req("BULK-1")
def test_a_run_killed_mid_file_pays_nobody_twice_when_run_again(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    corp, request_id, own = _ready(db, 7)
    approve(db, corp.actor("admin"), request_id)
    monkeypatch.setattr(bulk, "CHUNK", 2)
    real = bulk.pay_chunk
    calls = {"n": 0}

    def dying(*args: Any, **kw: Any) -> Any:
        calls["n"] += 1
        done = real(*args, **kw)
        if calls["n"] == 3:            # the third chunk is paid … and the process dies
            raise SystemExit("killed")
        return done

    monkeypatch.setattr(bulk, "pay_chunk", dying)
    clock.set_now(RUN_AT)
    with pytest.raises(SystemExit):
        run_due(db, at=RUN_AT)
    paid_so_far = db.run(lambda s: s.scalar(select(func.count()).select_from(BulkLine).where(
        BulkLine.request_id == request_id, BulkLine.state == LineState.CREDITED)))
    assert paid_so_far == 4                         # two chunks committed, the third undone
    monkeypatch.setattr(bulk, "pay_chunk", real)
    run_due(db, at=RUN_AT)
    run_due(db, at=RUN_AT)                          # a third run finds nothing to do
    for i, (_, _, _, account_id) in enumerate(own):
        assert balance(db, account_id) == 1_000 + i
    assert db.run(lambda s: s.get(BulkRequest, request_id).state) is BulkState.EXECUTED
    assert db.run(check_books).mismatched == {}


def _race(*calls: Callable[[], object]) -> list[object]:
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:  # the outcome is what the test compares
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.mark.req("APR-1")
@pytest.mark.req("BULK-1")
def test_two_final_approvers_and_two_runners_at_once_give_one_execution(
        db: Database, pg_url: str) -> None:
    corp, request_id, own = _ready(db, 30, mode="double")

    def second_admin(s: Any) -> int:
        from kinko.auth.models import UserRole

        view = corporate.create_user(
            s, corp.actor("master"), role=UserRole.ADMIN, login_id="admin2x",
            temporary_login_password="Kari7Login", temporary_confirmation_password="Kari8Kaku")
        corp.users["admin2"] = view.id
        builders.give_token(s, corp, "admin2")
        return view.id

    db.run(second_admin)
    approve(db, corp.actor("admin"), request_id)
    digest = db.run(lambda s: s.get(BulkRequest, request_id).digest)

    def final(name: str) -> Callable[[], object]:
        actor = corp.actor(name)
        return lambda: db.run(lambda s: bulk.approve(
            s, actor, request_id, digest=digest,
            step_up=StepUpProof(actor.user_id, digest, clock.now())).state)

    outcomes = _race(final("master"), final("admin2"))
    assert sorted(type(o).__name__ for o in outcomes) == ["ApprovalStale", "BulkState"]
    assert any(isinstance(o, ApprovalStale) for o in outcomes)
    clock.set_now(RUN_AT)
    _race(lambda: run_due(db, at=RUN_AT), lambda: run_due(db, at=RUN_AT))
    run_due(db, at=RUN_AT)
    debits = db.run(lambda s: s.scalar(select(func.count()).select_from(JournalEntry).where(
        JournalEntry.idempotency_key == f"bulk:{request_id}:debit")))
    assert debits == 1
    for i, (_, _, _, account_id) in enumerate(own):
        assert balance(db, account_id) == 1_000 + i
    assert db.run(check_books).mismatched == {}


@pytest.mark.req("BULK-1")
@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(amounts=st.lists(st.integers(1, 5_000_000), min_size=1, max_size=6),
       missing=st.sets(st.integers(0, 5), max_size=3))
def test_money_is_conserved_whatever_the_payees(db: Database, amounts: list[int],
                                                missing: set[int]) -> None:
    """The paying account loses exactly the paid amounts plus every fee; payees gain their
    amounts; unpayable ones (no such account) cost only their fee; the books balance."""
    clock.set_now(FRIDAY)
    # Funds for any six amounts (a short account is another test's case: not established).
    corp = db.run(lambda s: builders.contract(s, balance=100_000_000))
    own = db.run(lambda s: own_payees(s, len(amounts)))
    lines = [(OWN, b, "9" * 7 if i in missing else num, h, a)
             for i, ((b, num, h, _), a) in enumerate(zip(own, amounts, strict=True))]
    req = db.run(lambda s: bulk.from_zengin(s, corp.actor("master"), transfer_file(lines)))
    approve(db, corp.actor("admin"), req.id)
    before = balance(db, corp.representative)
    run_batch(db, RUN_AT)
    paid = sum(a for i, a in enumerate(amounts) if i not in missing)
    assert balance(db, corp.representative) == before - paid - req.fee_total
    for i, (_, _, _, account_id) in enumerate(own):
        assert balance(db, account_id) == (0 if i in missing else amounts[i])
    assert db.run(check_books).mismatched == {}


@pytest.mark.req("BULK-1")
def test_chunks_paid_by_two_runners_at_once_pay_every_payee_once(
        db: Database, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The run's chunks are enqueued together, so two runners pay them side by side: every
    payee of this bank credited once, every other-bank payee handed to clearing once (one
    clearing message per chunk, not one per payee), the run ends once, the books balance."""
    from datetime import timedelta

    from kinko.audit.models import AuditEvent
    from kinko.clearing.models import OutgoingTransfer, RemoteAccount
    from kinko.outbox.models import OutboxMessage
    from tests.corporate.bulkkit import remote_payee

    clock.set_now(FRIDAY)
    corp = db.run(lambda s: builders.contract(s, balance=100_000_000))
    own = db.run(lambda s: own_payees(s, 12))
    remote = [f"70000{i:02d}" for i in range(4)]
    for number in remote:
        db.run(lambda s, n=number: remote_payee(s, n))
    lines = [(OWN, b, num, h, 1_000 + i) for i, (b, num, h, _) in enumerate(own)]
    for i, number in enumerate(remote):   # spread over the chunks
        lines.insert(4 * i + 1, ("0001", "001", number, "ﾀﾀﾞﾉ ﾀﾛｳ", 50_000 + i))
    req = db.run(lambda s: bulk.from_zengin(s, corp.actor("master"), transfer_file(lines)))
    approve(db, corp.actor("admin"), req.id)
    monkeypatch.setattr(bulk, "CHUNK", 3)
    clock.set_now(RUN_AT)
    db.run(lambda s: bulk.execute_due(s, {"request_id": req.id}))   # enqueues the 6 chunks
    _race(lambda: run_due(db, at=RUN_AT), lambda: run_due(db, at=RUN_AT))
    run_due(db, at=RUN_AT + timedelta(minutes=1))                    # the network answers
    for i, (_, _, _, account_id) in enumerate(own):
        assert balance(db, account_id) == 1_000 + i
    with db.transaction() as s:
        done = s.get(BulkRequest, req.id)
        assert done is not None and done.state is BulkState.EXECUTED and done.chunks_left == 0
        assert s.scalar(select(func.count()).select_from(BulkLine).where(
            BulkLine.request_id == req.id, BulkLine.state == LineState.PENDING)) == 0
        assert s.scalar(select(func.count()).select_from(OutgoingTransfer)) == 4
        topics = list(s.scalars(select(OutboxMessage.topic)))
        assert topics.count("clearing.send") == 0
        assert 1 <= topics.count("clearing.send_many") <= 4
        assert topics.count("bulk.lines") == 6
        assert sorted(s.scalars(select(RemoteAccount.balance).where(
            RemoteAccount.number.in_(remote)))) == [50_000 + i for i in range(4)]
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "bulk.executed")) == 1
        assert s.scalar(select(func.count()).select_from(JournalEntry).where(
            JournalEntry.idempotency_key.like(f"bulk:{req.id}:line:%"))) == 16
    assert db.run(check_books).mismatched == {}


@pytest.mark.req("BULK-1")
def test_a_chunk_of_one_outcome_marks_its_pending_lines_and_no_other(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk whose payees all get the same outcome marks its lines by line range: a line in
    that range that is no longer pending keeps its state and its payee is not paid."""
    corp, request_id, own = _ready(db, 6)
    approve(db, corp.actor("admin"), request_id)
    monkeypatch.setattr(bulk, "CHUNK", 10)

    def settle_line_3(s: Any) -> None:
        line = s.scalars(select(BulkLine).where(BulkLine.request_id == request_id,
                                                BulkLine.line_no == 3)).one()
        line.state, line.reason = LineState.RETURNED, "settled elsewhere"

    db.run(settle_line_3)
    clock.set_now(RUN_AT)
    run_due(db, at=RUN_AT)
    lines = db.run(lambda s: s.execute(select(BulkLine.line_no, BulkLine.state, BulkLine.reason,
                                              BulkLine.account_number).where(
        BulkLine.request_id == request_id).order_by(BulkLine.line_no)).all())
    assert [(n, st_, why) for n, st_, why, _ in lines if n == 3] == [
        (3, LineState.RETURNED, "settled elsewhere")]
    assert {st_ for n, st_, _, _ in lines if n != 3} == {LineState.CREDITED}
    by_number = {num: account_id for _, num, _, account_id in own}
    for n, _, _, number in lines:
        assert (balance(db, by_number[number]) > 0) is (n != 3)
