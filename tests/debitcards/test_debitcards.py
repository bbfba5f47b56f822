"""Debit card service (DEB-1): register, cancel, inquire; one active card per account; the
number is kept only as a keyed hash and its last four digits; every change audited."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from kinko import clock
from kinko.audit.models import AuditEvent
from kinko.db import Database
from kinko.debitcards import rules
from kinko.debitcards import service as cards
from kinko.debitcards.errors import (
    CardAlreadyLinked,
    CardInUse,
    CardNotActive,
    CardNotFound,
    InvalidCardNumber,
)
from kinko.debitcards.models import DebitCard
from kinko.instructions.service import Actor
from kinko.ledger.errors import AccountNotFound, AccountNotUsable
from kinko.ledger.models import Account, AccountState, AccountType
from kinko.ledger.service import change_state
from kinko.parties.errors import NotAllowedForNonResident
from kinko.parties.models import Customer
from tests import factories

pytestmark = pytest.mark.req("DEB-1")

CARD = "6200 0000 0000 0005"
OTHER_CARD = "4111-1111-1111-1111"


@pytest.fixture(autouse=True)
def _today() -> None:
    clock.set_now(datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST))


def _setup(db: Database) -> tuple[Actor, int]:
    with db.transaction() as s:
        return factories.retail_actor(s, balance=1_000)


def _register(db: Database, actor: Actor, acc: int, number: str = CARD) -> cards.CardView:
    return db.run(lambda s: cards.register_card(s, actor, account_id=acc, card_number=number))


def _count(db: Database) -> int:
    with db.transaction() as s:
        n = s.scalar(select(func.count()).select_from(DebitCard))
        assert n is not None
        return n


def test_register_shows_the_card_masked_and_stores_no_number(db: Database) -> None:
    actor, acc = _setup(db)
    view = _register(db, actor, acc)
    assert (view.masked_number, view.last4, view.state, view.account_id) == (
        "**** **** **** 0005", "0005", "active", acc)
    with db.transaction() as s:
        row = s.execute(text("SELECT * FROM debit_cards")).mappings().one()
        stored = " ".join(str(v) for v in row.values())
        assert "6200000000000005" not in stored and "620000" not in stored
        assert row["number_digest"] == cards.card_digest("6200000000000005")
        events = list(s.execute(select(AuditEvent).where(
            AuditEvent.action.like("debit_card.%"))).scalars())
        assert [e.action for e in events] == ["debit_card.registered"]
        assert "6200000000000005" not in events[0].data and '"last4":"0005"' in events[0].data


@pytest.mark.parametrize("number", ["6200000000000006", "1234", "62000000000000050000",
                                    "6200-0000-0000-000X", ""])
def test_a_bad_number_is_refused_and_nothing_stored(db: Database, number: str) -> None:
    actor, acc = _setup(db)
    with pytest.raises(InvalidCardNumber) as caught:
        _register(db, actor, acc, number)
    assert number not in (caught.value.detail or "") or not number
    assert _count(db) == 0


def test_one_active_card_per_account_and_a_card_on_one_account_only(db: Database) -> None:
    actor, acc = _setup(db)
    with db.transaction() as s:
        second = factories.account(s, balance=0)
        account = s.get(Account, second)
        assert account is not None
        account.customer_id = actor.customer_id
    _register(db, actor, acc)
    with pytest.raises(CardAlreadyLinked):
        _register(db, actor, acc, OTHER_CARD)
    with pytest.raises(CardInUse):
        _register(db, actor, second, "６２０００００００００００００５")  # full-width digits
    assert _count(db) == 1


def test_cancel_frees_the_account_and_cannot_be_repeated(db: Database) -> None:
    actor, acc = _setup(db)
    first = _register(db, actor, acc)
    cancelled = db.run(lambda s: cards.cancel_card(s, actor, first.id))
    assert cancelled.state == "cancelled" and cancelled.cancelled_at is not None
    with pytest.raises(CardNotActive):
        db.run(lambda s: cards.cancel_card(s, actor, first.id))
    again = _register(db, actor, acc)  # the same card may be linked again
    states = [(c.id, c.state) for c in db.run(lambda s: cards.list_cards(s, actor))]
    assert states == [(again.id, "active"), (first.id, "cancelled")]


def test_another_customers_card_and_accounts_are_not_found(db: Database) -> None:
    actor, acc = _setup(db)
    view = _register(db, actor, acc)
    with db.transaction() as s:
        stranger, stranger_acc = factories.retail_actor(s, balance=1, holder="ｻﾄｳ ﾊﾅｺ")
        time_acc = factories.account(s, account_type=AccountType.TIME)
    with pytest.raises(CardNotFound):
        db.run(lambda s: cards.cancel_card(s, stranger, view.id))
    with pytest.raises(AccountNotFound):
        _register(db, stranger, acc, OTHER_CARD)
    with pytest.raises(AccountNotFound):
        _register(db, actor, time_acc, OTHER_CARD)
    assert db.run(lambda s: cards.list_cards(s, stranger)) == []
    assert stranger_acc != acc


@pytest.mark.req("SUSP-1")
def test_a_stopped_account_takes_no_new_card(db: Database) -> None:
    actor, acc = _setup(db)
    with db.transaction() as s:
        change_state(s, acc, AccountState.PAYMENT_STOPPED, actor="test", reason="lost card")
    with pytest.raises(AccountNotUsable):
        _register(db, actor, acc)
    assert _count(db) == 0


@pytest.mark.req("PRD-5")
def test_non_residents_cannot_register_but_can_cancel(db: Database) -> None:
    actor, acc = _setup(db)
    view = _register(db, actor, acc)
    with db.transaction() as s:
        customer = s.get(Customer, actor.customer_id)
        assert customer is not None
        customer.resident = False
    assert db.run(lambda s: cards.cancel_card(s, actor, view.id)).state == "cancelled"
    with pytest.raises(NotAllowedForNonResident):
        _register(db, actor, acc)


def _with_check_digit(body: str) -> str:
    for digit in "0123456789":
        if rules.luhn_ok(body + digit):
            return body + digit
    raise AssertionError("no check digit")  # pragma: no cover


@given(st.text(alphabet="0123456789", min_size=13, max_size=18))
def test_exactly_one_check_digit_completes_a_number(body: str) -> None:
    number = _with_check_digit(body)
    assert rules.normalise_card_number(number) == number
    assert sum(rules.luhn_ok(body + d) for d in "0123456789") == 1
    assert rules.masked(rules.last4(number)).endswith(number[-4:])


@pytest.mark.usefixtures("db")  # empties the tables afterwards
def test_concurrent_registrations_on_one_account_link_one_card(pg_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from kinko.errors import DomainError

    pool_db = Database(pg_url, pool_size=8)
    try:
        actor, acc = _setup(pool_db)
        numbers = [_with_check_digit(f"62000000000001{i}") for i in range(8)]

        def register(number: str) -> str:
            try:
                _register(pool_db, actor, acc, number)
            except DomainError as exc:
                return exc.code
            return "ok"

        with ThreadPoolExecutor(max_workers=8) as pool:
            outcomes = sorted(pool.map(register, numbers))
        assert outcomes == ["DEBIT_ACCOUNT_HAS_CARD"] * 7 + ["ok"]
        assert _count(pool_db) == 1
    finally:
        pool_db.dispose()
