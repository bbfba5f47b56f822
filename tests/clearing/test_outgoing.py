"""Outgoing transfers to other banks through the simulated network (XFER-8)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kinko.clearing import network, service
from kinko.clearing.errors import InvalidTransferMessage, UnknownBank, UnknownBranch
from kinko.clearing.models import OutgoingState, RemoteAccount
from kinko.db import Database
from kinko.errors import IdempotencyMismatch
from kinko.ledger.models import JournalEntry
from kinko.outbox.models import OutboxMessage
from tests.clearing.conftest import run_later

PAYEE: dict[str, Any] = {"bank_code": "0005", "branch_code": "001", "account_type": "ordinary",
                         "number": "2222222", "holder_kana": "ﾀﾅｶ ﾊﾅｺ"}


def _send(db: Database, ref: str = "T-1", amount: int = 10_000, **over: Any
          ) -> service.OutgoingStatus:
    def go(s: Session) -> service.OutgoingStatus:
        network.seed_network(s)
        return service.send_outgoing(s, transfer_ref=ref, amount=amount,
                                     remitter_kana="ﾔﾏﾀﾞ ﾀﾛｳ", **{**PAYEE, **over})
    return db.run(go)


def _balance(db: Database, number: str) -> int:
    return int(db.run(lambda s: s.execute(select(RemoteAccount.balance).where(
        RemoteAccount.number == number)).scalar_one()))


def _status(db: Database, ref: str = "T-1") -> service.OutgoingStatus:
    status = db.run(service.outgoing_status, ref)
    assert status is not None
    return status


@pytest.mark.req("XFER-8")
def test_accepted_transfer_credits_the_other_bank_after_the_network_delay(
        db: Database, returned: list[dict[str, Any]]) -> None:
    before = 180_000                                   # the seeded balance
    assert _send(db, edi="INV0001").state is OutgoingState.QUEUED
    run_later(db)
    assert _status(db).state is OutgoingState.SENT            # at the network, not answered
    assert _balance(db, "2222222") == before
    report = run_later(db, minutes=1)
    status = _status(db)
    assert status.state is OutgoingState.ACCEPTED and status.reason_code is None
    assert status.sent_at is not None and status.settled_at is not None
    assert _balance(db, "2222222") == before + 10_000
    assert returned == [] and report.by_topic == {"clearing.settle": 1}
    # The other bank's money is not Kinko's: the network posts nothing in Kinko's ledger.
    assert db.run(lambda s: s.execute(select(func.count(JournalEntry.id))).scalar_one()) == 0


@pytest.mark.req("XFER-8")
@pytest.mark.parametrize(("over", "code"), [
    ({"number": "9999999"}, "ACCOUNT_NOT_FOUND"),
    ({"number": "2222223", "holder_kana": "ｺﾊﾞﾔｼ ｹﾝｼﾞ"}, "ACCOUNT_CLOSED"),
    ({"account_type": "checking"}, "ACCOUNT_NOT_FOUND"),
    ({"holder_kana": "ｽｽﾞｷ ｼﾞﾛｳ"}, "NAME_MISMATCH"),
    ({"bank_code": "0010", "branch_code": "005"}, "ACCOUNT_NOT_FOUND"),  # a bank with no accounts
])
def test_unpayable_transfer_is_returned_and_announced(
        db: Database, returned: list[dict[str, Any]], over: dict[str, Any], code: str) -> None:
    _send(db, **over)
    run_later(db)
    run_later(db, minutes=1)
    status = _status(db)
    assert status.state is OutgoingState.RETURNED and status.reason_code == code
    assert returned == [{"transfer_ref": "T-1", "reason_code": code, "reason": status.reason}]
    assert "/" in (status.reason or "")        # Japanese / English
    assert _balance(db, "2222222") == 180_000


@pytest.mark.req("XFER-8")
def test_name_given_with_other_spacing_is_accepted(db: Database,
                                                   returned: list[dict[str, Any]]) -> None:
    _send(db, holder_kana="ﾀﾅｶﾊﾅｺ")
    run_later(db, minutes=1)
    assert _status(db).state is OutgoingState.ACCEPTED


@pytest.mark.req("XFER-8")
def test_every_step_handled_twice_changes_nothing_twice(
        db: Database, returned: list[dict[str, Any]]) -> None:
    _send(db)
    again = _send(db)                                   # same reference, same content
    assert again.state is OutgoingState.QUEUED
    assert db.run(lambda s: s.execute(select(func.count(OutboxMessage.id))).scalar_one()) == 1
    db.run(network.deliver, "T-1")
    db.run(network.deliver, "T-1")
    db.run(network.settle, "T-1")
    db.run(network.settle, "T-1")
    run_later(db, minutes=5)                            # the queued messages find it done
    assert _balance(db, "2222222") == 190_000
    assert _status(db).state is OutgoingState.ACCEPTED

    _send(db, ref="T-2", number="9999999")
    for _ in range(2):
        db.run(network.deliver, "T-2")
        db.run(network.settle, "T-2")
    run_later(db, minutes=5)
    assert [r["transfer_ref"] for r in returned] == ["T-2"]


@pytest.mark.req("XFER-8")
def test_same_reference_with_other_content_is_refused(db: Database) -> None:
    _send(db)
    with pytest.raises(IdempotencyMismatch):
        _send(db, amount=20_000)


@pytest.mark.req("XFER-1")
@pytest.mark.parametrize(("over", "error"), [
    ({"bank_code": "0002"}, UnknownBank),
    ({"bank_code": "05"}, UnknownBank),
    ({"branch_code": "998"}, UnknownBranch),
    ({"number": "12345"}, InvalidTransferMessage),
    ({"holder_kana": "田中花子"}, InvalidTransferMessage),
    ({"holder_kana": ""}, InvalidTransferMessage),
    ({"account_type": "foreign"}, InvalidTransferMessage),
    ({"amount": 0}, InvalidTransferMessage),
    ({"amount": 10.5}, InvalidTransferMessage),
    ({"edi": "請求書"}, InvalidTransferMessage),
    ({"edi": "A" * 21}, InvalidTransferMessage),
])
def test_bad_message_is_refused_before_anything_is_written(
        db: Database, over: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        _send(db, **over)
    assert db.run(lambda s: s.execute(select(func.count(OutboxMessage.id))).scalar_one()) == 0
    assert db.run(service.outgoing_status, "T-1") is None


@pytest.mark.req("XFER-2")
def test_holder_lookup_at_other_banks(db: Database) -> None:
    db.run(network.seed_network)
    assert db.run(service.lookup_holder, "0005", "001", "ordinary", "2222222") == "ﾀﾅｶ ﾊﾅｺ"
    assert db.run(service.lookup_holder, "9900", "018", "普通", "4444444") == "ﾜﾀﾅﾍﾞ ﾐﾕｷ"
    assert db.run(service.lookup_holder, "0005", "001", "1", "2222223") is None     # closed
    assert db.run(service.lookup_holder, "0005", "001", "ordinary", "7654321") is None
    with pytest.raises(UnknownBranch):
        db.run(service.lookup_holder, "0005", "998", "ordinary", "2222222")


def test_seeding_twice_creates_the_accounts_once(db: Database) -> None:
    first = db.run(lambda s: len(network.seed_network(s)))
    assert first == len(network.DEMO_ACCOUNTS)
    assert db.run(lambda s: len(network.seed_network(s))) == 0


def _send_many(db: Database, refs: list[str], **over: Any) -> int:
    def go(s: Session) -> int:
        network.seed_network(s)
        return service.send_outgoing_many(s, [service.OutgoingRequest(
            transfer_ref=ref, amount=1_000 * (n + 1), remitter_kana="ﾔﾏﾀﾞ ﾀﾛｳ",
            **{**PAYEE, **over}) for n, ref in enumerate(refs)])
    return db.run(go)


@pytest.mark.req("XFER-8")
def test_a_batch_leaves_as_one_message_and_pays_every_transfer_once(
        db: Database, returned: list[dict[str, Any]]) -> None:
    """A bulk run's other-bank payees are one hand-over to the network: one outbox message
    for the batch, one settle message for its answers, and each transfer paid once, also
    when the batch is queued again and every step is handled twice."""
    refs = ["B-1", "B-2", "B-3"]
    assert _send_many(db, refs) == 3
    assert _send_many(db, refs) == 0                    # same references, same content
    assert db.run(lambda s: s.execute(select(OutboxMessage.topic)).scalars().all()) == [
        service.SEND_MANY_TOPIC]
    first = run_later(db)
    assert first.by_topic == {service.SEND_MANY_TOPIC: 1}
    assert {_status(db, r).state for r in refs} == {OutgoingState.SENT}
    db.run(network.deliver_many, refs)                  # delivered again: nothing moves
    later = run_later(db, minutes=1)
    assert later.by_topic == {network.SETTLE_MANY_TOPIC: 1}
    db.run(network.settle_many, refs)                   # answered again: nothing moves
    assert {_status(db, r).state for r in refs} == {OutgoingState.ACCEPTED}
    assert _balance(db, "2222222") == 180_000 + 1_000 + 2_000 + 3_000
    assert returned == []
    # Unpayable ones in a batch come back one by one, each once.
    _send_many(db, ["B-4", "B-5"], number="9999999")
    run_later(db)
    run_later(db, minutes=1)
    run_later(db, minutes=2)
    assert _status(db, "B-4").state is OutgoingState.RETURNED
    assert sorted(r["transfer_ref"] for r in returned) == ["B-4", "B-5"]


@pytest.mark.req("XFER-8")
def test_a_batch_with_a_changed_or_bad_transfer_is_refused_whole(db: Database) -> None:
    _send_many(db, ["C-1"])
    with pytest.raises(IdempotencyMismatch):
        _send_many(db, ["C-0", "C-1"])            # C-1 again, with another amount
    with pytest.raises(InvalidTransferMessage):
        _send_many(db, ["C-2", "C-3"], number="12345")
    assert db.run(service.outgoing_status, "C-0") is None
    assert db.run(service.outgoing_status, "C-2") is None
