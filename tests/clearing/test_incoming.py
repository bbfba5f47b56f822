"""Incoming transfers from other banks: credited and listed, or returned (XFER-9, INQ-1)."""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kinko import clock
from kinko.clearing import network, service
from kinko.clearing.errors import InvalidQuery, InvalidTransferMessage, UnknownBank
from kinko.clearing.models import IncomingState, IncomingTransfer
from kinko.db import Database
from kinko.errors import IdempotencyMismatch
from kinko.ledger.books import book, ensure_books
from kinko.ledger.models import Account, AccountState, JournalEntry, Posting
from kinko.ledger.service import change_state, check_books
from kinko.outbox.models import OutboxMessage
from kinko.parties.models import Customer
from tests import factories
from tests.clearing.conftest import run_later

FROM: dict[str, Any] = {"remitter_name_kana": "ﾀﾅｶ ﾊﾅｺ", "remitter_bank_code": "0005",
        "remitter_branch_code": "001"}


def _account(db: Database, **kw: Any) -> tuple[int, str, str]:
    def make(s: Session) -> tuple[int, str, str]:
        ensure_books(s, actor="test")
        account_id = factories.account(s, **kw)
        a = s.get(Account, account_id)
        assert a is not None
        return account_id, a.branch_code, a.number
    return db.run(make)


def _receive(db: Database, branch: str, number: str, *, reference: str = "NW-1",
             amount: int = 50_000, account_type: str = "ordinary", edi: str | None = None,
             **over: Any) -> service.IncomingResult:
    return db.run(service.receive_incoming, **{
        "to_branch": branch, "to_account_type": account_type, "to_number": number,
        "amount": amount, "edi": edi, "reference": reference, **FROM, **over})


def _balance(db: Database, account_id: int) -> int:
    return int(db.run(lambda s: s.execute(
        select(Account.balance).where(Account.id == account_id)).scalar_one()))


def _entries(db: Database) -> int:
    return int(db.run(lambda s: s.execute(select(func.count(JournalEntry.id))).scalar_one()))


@pytest.mark.req("XFER-9")
def test_transfer_from_another_bank_is_credited_and_listed_with_remitter_and_edi(
        db: Database) -> None:
    account_id, branch, number = _account(db, balance=1_000)
    ref = db.run(network.send_to_kinko, to_branch=branch, to_account_type="ordinary",
                 to_number=number, amount=50_000, edi="INV-2026-0042", **FROM)
    assert _balance(db, account_id) == 1_000            # delivered by the batch, not before
    report = run_later(db)
    assert report.by_topic.get("clearing.receive") == 1
    assert _balance(db, account_id) == 51_000

    [line] = db.run(service.incoming_transfers, account_id)
    assert (line.reference, line.amount, line.remitter_name_kana, line.edi) == (
        ref, 50_000, "ﾀﾅｶ ﾊﾅｺ", "INV-2026-0042")
    assert (line.remitter_bank_code, line.remitter_branch_code) == ("0005", "001")
    assert line.remitter_bank_name == "三菱ＵＦＪ" and line.remitter_branch_name == "本店"
    assert line.value_date == clock.today() and line.entry_id is not None

    def legs(s: Session) -> dict[int, tuple[int, str]]:
        rows = s.execute(select(Posting).where(Posting.entry_id == line.entry_id)).scalars()
        return {p.account_id: (p.amount, p.description) for p in rows}
    clearing = db.run(book, "clearing")
    assert db.run(legs) == {account_id: (50_000, "ﾀﾅｶ ﾊﾅｺ"), clearing: (-50_000, "ﾀﾅｶ ﾊﾅｺ")}
    assert db.run(check_books).ok


@pytest.mark.req("XFER-9")
def test_the_same_message_received_twice_is_booked_once(db: Database) -> None:
    account_id, branch, number = _account(db)
    first = _receive(db, branch, number)
    again = _receive(db, branch, number)
    assert first.state is IncomingState.CREDITED and not first.replayed
    assert again.replayed and again.entry_id == first.entry_id
    assert _balance(db, account_id) == 50_000 and _entries(db) == 1
    with pytest.raises(IdempotencyMismatch):
        _receive(db, branch, number, amount=60_000)
    # Delivered twice by the network (two outbox rows cannot exist: the key dedupes them).
    for _ in range(2):
        db.run(network.send_to_kinko, to_branch=branch, to_account_type="ordinary",
               to_number=number, amount=7_000, reference="NW-2", **FROM)
    run_later(db)
    assert _balance(db, account_id) == 57_000


@pytest.mark.req("XFER-9")
@pytest.mark.req("LED-4")
@pytest.mark.parametrize(("state", "account_type", "code"), [
    (AccountState.CLOSED, "ordinary", "ACCOUNT_CLOSED"),
    (AccountState.DEPOSIT_STOPPED, "ordinary", "DEPOSIT_STOPPED"),
    (AccountState.ACTIVE, "checking", "ACCOUNT_TYPE_MISMATCH"),
    (AccountState.ACTIVE, "savings", "ACCOUNT_TYPE_MISMATCH"),
])
def test_transfer_the_account_cannot_take_is_returned_without_posting(
        db: Database, state: AccountState, account_type: str, code: str) -> None:
    account_id, branch, number = _account(db)
    if state is not AccountState.ACTIVE:
        db.run(change_state, account_id, state, actor="test", reason="test")
    ref = db.run(network.send_to_kinko, to_branch=branch, to_account_type=account_type,
                 to_number=number, amount=9_000, **FROM)
    report = run_later(db)
    assert report.failed == 0 and report.retried == 0
    row = db.run(lambda s: s.execute(select(IncomingTransfer).where(
        IncomingTransfer.reference == ref)).scalar_one())
    assert row.state is IncomingState.RETURNED and row.reason_code == code
    assert row.entry_id is None and _entries(db) == 0 and _balance(db, account_id) == 0
    assert db.run(service.incoming_transfers, account_id) == []


@pytest.mark.req("XFER-9")
def test_unknown_account_and_the_banks_own_books_are_returned(db: Database) -> None:
    _account(db)
    result = _receive(db, "001", "7777777")
    assert result.state is IncomingState.RETURNED and result.reason_code == "ACCOUNT_NOT_FOUND"
    clearing = db.run(lambda s: s.get(Account, book(s, "clearing")))
    assert clearing is not None
    result = _receive(db, clearing.branch_code, clearing.number, reference="NW-2")
    assert result.reason_code == "ACCOUNT_NOT_FOUND" and _entries(db) == 0


@pytest.mark.req("LED-4")
def test_payment_stopped_account_still_takes_incoming_transfers(db: Database) -> None:
    account_id, branch, number = _account(db)
    db.run(change_state, account_id, AccountState.PAYMENT_STOPPED, actor="test", reason="card")
    assert _receive(db, branch, number).state is IncomingState.CREDITED
    assert _balance(db, account_id) == 50_000


@pytest.mark.req("INQ-1")
def test_incoming_list_filters_by_date_and_pages_newest_first(db: Database) -> None:
    account_id, branch, number = _account(db)
    start = clock.now()
    for day in range(5):
        clock.set_now(start + timedelta(days=day))
        _receive(db, branch, number, reference=f"NW-{day}", amount=1_000 * (day + 1))
    today = start.date()
    lines = db.run(service.incoming_transfers, account_id)
    assert [x.amount for x in lines] == [5_000, 4_000, 3_000, 2_000, 1_000]
    window = db.run(lambda s: service.incoming_transfers(
        s, account_id, date_from=today + timedelta(days=1), date_to=today + timedelta(days=3)))
    assert [x.amount for x in window] == [4_000, 3_000, 2_000]
    page = db.run(lambda s: service.incoming_transfers(s, account_id, limit=2, offset=2))
    assert [x.amount for x in page] == [3_000, 2_000]
    other_id, _, _ = _account(db)
    assert db.run(service.incoming_transfers, other_id) == []
    with pytest.raises(InvalidQuery):
        db.run(lambda s: service.incoming_transfers(s, account_id, date_from=date(2026, 12, 1),
                                                    date_to=date(2026, 11, 1)))
    with pytest.raises(InvalidQuery):
        db.run(lambda s: service.incoming_transfers(s, account_id, limit=0))


@pytest.mark.req("NOTIF-1")
def test_holder_with_an_address_gets_an_incoming_notice(db: Database) -> None:
    def make(s: Session) -> tuple[str, str]:
        c = factories.customer(s)
        c.email = "taro@example.jp"
        ensure_books(s, actor="test")
        account_id = factories.account(s)
        a = s.get(Account, account_id)
        assert a is not None
        a.customer_id = c.id
        s.flush()
        return a.branch_code, a.number
    branch, number = db.run(make)
    _receive(db, branch, number, edi="INV1")
    _receive(db, branch, number, edi="INV1")             # replay: no second notice
    payloads = db.run(lambda s: [json.loads(p) for p in s.execute(
        select(OutboxMessage.payload).where(OutboxMessage.topic == "email.send")).scalars()])
    assert len(payloads) == 1
    assert payloads[0]["to"] == "taro@example.jp"
    assert payloads[0]["template"] == "transfer.incoming"
    assert payloads[0]["data"]["amount"] == 50_000 and payloads[0]["data"]["edi"] == "INV1"
    assert db.run(lambda s: s.execute(select(func.count(Customer.id))).scalar_one()) == 1


@pytest.mark.req("XFER-9")
def test_a_malformed_address_on_file_does_not_stop_the_credit(db: Database) -> None:
    def make(s: Session) -> tuple[int, str, str]:
        ensure_books(s, actor="test")
        c = factories.customer(s)
        c.email = "not an address"
        account_id = factories.account(s)
        a = s.get(Account, account_id)
        assert a is not None
        a.customer_id = c.id
        s.flush()
        return account_id, a.branch_code, a.number
    account_id, branch, number = db.run(make)
    assert _receive(db, branch, number).state is IncomingState.CREDITED
    assert _balance(db, account_id) == 50_000
    assert db.run(lambda s: s.execute(select(func.count(OutboxMessage.id))).scalar_one()) == 0


@pytest.mark.req("XFER-9")
@pytest.mark.parametrize(("over", "error"), [
    ({"remitter_bank_code": "0002"}, UnknownBank),
    ({"remitter_name_kana": "田中"}, InvalidTransferMessage),
    ({"amount": -5}, InvalidTransferMessage),
    ({"to_number": "12"}, InvalidTransferMessage),
    ({"edi": "a,b"}, InvalidTransferMessage),
])
def test_malformed_incoming_message_is_refused_by_the_network(
        db: Database, over: dict[str, Any], error: type[Exception]) -> None:
    args: dict[str, Any] = {"to_branch": "001", "to_account_type": "ordinary",
                            "to_number": "1234567", "amount": 1_000, **FROM, **over}
    with pytest.raises(error):
        db.run(network.send_to_kinko, **args)
    assert db.run(lambda s: s.execute(select(func.count(OutboxMessage.id))).scalar_one()) == 0


@pytest.mark.req("XFER-9")
def test_concurrent_deliveries_of_one_message_post_once(pg_url: str) -> None:
    """Two workers receive the same message at once: the second waits, then replays."""
    db = Database(pg_url)
    try:
        account_id, branch, number = _account(db)
        barrier = threading.Barrier(2)
        results: list[service.IncomingResult] = []
        errors: list[BaseException] = []

        def worker() -> None:
            def use_case(s: Session) -> service.IncomingResult:
                barrier.wait(timeout=10)
                return service.receive_incoming(
                    s, to_branch=branch, to_account_type="ordinary", to_number=number,
                    amount=3_000, edi=None, reference="NW-RACE", **FROM)
            try:
                results.append(db.run(use_case, attempts=1))
            except BaseException as exc:  # any failure of a worker fails the test below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert errors == []
        assert sorted(r.replayed for r in results) == [False, True]
        assert _balance(db, account_id) == 3_000 and _entries(db) == 1
    finally:
        with db.engine.begin() as conn:
            from kinko.tables import metadata
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())
        db.dispose()
