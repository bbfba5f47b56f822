"""The ledger's posting rules on the real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kinko.audit.models import AuditEvent
from kinko.db import Database
from kinko.errors import IdempotencyMismatch
from kinko.ledger.errors import (
    AccountNotFound,
    AccountNotUsable,
    HoldNotActive,
    InsufficientFunds,
    InvalidAccount,
    InvalidEntry,
)
from kinko.ledger.models import Account, AccountState, AccountType, JournalEntry, Posting
from kinko.ledger.rules import Leg
from kinko.ledger.service import (
    EntryRequest,
    change_state,
    check_books,
    open_account,
    place_hold,
    post,
    release_hold,
    transfer,
)
from tests import factories


def _counts(db: Database) -> tuple[int, int, int]:
    with db.transaction() as s:
        return (s.scalar(select(func.count()).select_from(JournalEntry)) or 0,
                s.scalar(select(func.count()).select_from(Posting)) or 0,
                s.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def _balance(db: Database, account_id: int) -> tuple[int, int]:
    with db.transaction() as s:
        a = s.get(Account, account_id)
        assert a is not None
        return a.balance, a.held


@pytest.mark.req("LED-2")
def test_transfer_moves_money_and_keeps_books_balanced(db: Database) -> None:
    with db.transaction() as s:
        a = factories.account(s, balance=10_000)
        b = factories.account(s)
    posted = db.run(lambda s: transfer(s, debit_account_id=a, credit_account_id=b,
                                       amount=3_000, actor="customer:1"))
    assert posted.balances == {a: 7_000, b: 3_000}
    assert _balance(db, a) == (7_000, 0)
    with db.transaction() as s:
        books = check_books(s)
        postings = s.scalars(select(Posting).where(Posting.entry_id == posted.entry_id)).all()
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "ledger.post",
                                                     AuditEvent.subject_id == str(posted.entry_id)
                                                     )).all()
    assert books.ok and books.debits == books.credits
    assert sorted((p.account_id, p.amount, p.balance_after) for p in postings) == sorted(
        [(a, -3_000, 7_000), (b, 3_000, 3_000)])
    assert len(events) == 1 and events[0].actor == "customer:1"


@pytest.mark.req("LED-3")
def test_debit_beyond_withdrawable_fails_and_writes_nothing(db: Database) -> None:
    with db.transaction() as s:
        a = factories.account(s, balance=1_000)
        b = factories.account(s)
    before = _counts(db)
    with pytest.raises(InsufficientFunds):
        db.run(lambda s: transfer(s, debit_account_id=a, credit_account_id=b, amount=1_001,
                                  actor="t"))
    assert _counts(db) == before
    assert _balance(db, a) == (1_000, 0)


@pytest.mark.req("LED-3")
def test_overdraft_line_and_holds_set_the_withdrawable_amount(db: Database) -> None:
    with db.transaction() as s:
        chk = factories.account(s, balance=1_000, overdraft=5_000,
                                account_type=AccountType.CHECKING)
        b = factories.account(s)
    hold = db.run(lambda s: place_hold(s, account_id=chk, amount=2_000, reason="future transfer",
                                       actor="t"))
    # withdrawable = 1,000 − 2,000 + 5,000 = 4,000
    with pytest.raises(InsufficientFunds):
        db.run(lambda s: transfer(s, debit_account_id=chk, credit_account_id=b, amount=4_001,
                                  actor="t"))
    db.run(lambda s: transfer(s, debit_account_id=chk, credit_account_id=b, amount=4_000,
                              actor="t"))
    assert _balance(db, chk) == (-3_000, 2_000)
    with pytest.raises(InsufficientFunds):
        db.run(lambda s: place_hold(s, account_id=chk, amount=1, reason="x", actor="t"))
    db.run(lambda s: release_hold(s, hold, actor="t"))
    assert _balance(db, chk) == (-3_000, 0)
    with pytest.raises(HoldNotActive):
        db.run(lambda s: release_hold(s, hold, actor="t"))


@pytest.mark.req("LED-4")
@pytest.mark.parametrize(("state", "debit_ok", "credit_ok"), [
    (AccountState.PAYMENT_STOPPED, False, True),
    (AccountState.DEPOSIT_STOPPED, True, False),
    (AccountState.SEIZED, False, True),
    (AccountState.CLOSED, False, False),
])
def test_account_states_stop_the_right_direction(db: Database, state: AccountState,
                                                  debit_ok: bool, credit_ok: bool) -> None:
    with db.transaction() as s:
        x = factories.account(s, balance=5_000)
        other = factories.account(s, balance=5_000)
    db.run(lambda s: change_state(s, x, state, actor="operator:1", reason="test"))

    def attempt(debit: int, credit: int) -> bool:
        try:
            db.run(lambda s: transfer(s, debit_account_id=debit, credit_account_id=credit,
                                      amount=100, actor="t"))
        except AccountNotUsable:
            return False
        return True

    assert attempt(x, other) is debit_ok
    assert attempt(other, x) is credit_ok


@pytest.mark.req("LED-2")
@pytest.mark.parametrize("legs", [
    [Leg(1, -100)],
    [Leg(1, -100), Leg(2, 99)],
    [Leg(1, 0), Leg(2, 0)],
    [Leg(1, -100), Leg(1, 100)],
    [Leg(1, -1.5), Leg(2, 1.5)],  # type: ignore[arg-type]
    [Leg(1, True), Leg(2, -1)],
    [Leg(1, -10**16), Leg(2, 10**16)],
])
def test_invalid_entries_are_refused_before_anything_is_written(db: Database,
                                                                legs: list[Leg]) -> None:
    before = _counts(db)
    with pytest.raises(InvalidEntry):
        db.run(lambda s: post(s, EntryRequest(kind="x", legs=legs), actor="t"))
    assert _counts(db) == before


@pytest.mark.req("LED-4")
def test_unknown_account_is_a_clear_error(db: Database) -> None:
    with db.transaction() as s:
        a = factories.account(s, balance=1_000)
    before = _counts(db)
    with pytest.raises(AccountNotFound):
        db.run(lambda s: transfer(s, debit_account_id=a, credit_account_id=999_999, amount=1,
                                  actor="t"))
    assert _counts(db) == before


@pytest.mark.req("INS-3")
def test_idempotency_key_replays_first_result_and_refuses_changed_content(db: Database) -> None:
    with db.transaction() as s:
        a = factories.account(s, balance=10_000)
        b = factories.account(s)

    def send(amount: int) -> object:
        return db.run(lambda s: transfer(s, debit_account_id=a, credit_account_id=b,
                                         amount=amount, idempotency_key="k-1", actor="t"))

    first = send(500)
    again = send(500)
    assert again.replayed and again.entry_id == first.entry_id  # type: ignore[attr-defined]
    assert again.balances == first.balances  # type: ignore[attr-defined]
    with pytest.raises(IdempotencyMismatch):
        send(501)
    assert _balance(db, a) == (9_500, 0)


@pytest.mark.req("PRD-1")
@pytest.mark.parametrize(("branch", "number", "holder"), [
    ("01", "1234567", "ﾔﾏﾀﾞ"), ("001", "123456", "ﾔﾏﾀﾞ"), ("001", "12345678", "ﾔﾏﾀﾞ"),
    ("001", "1234567", "山田"), ("001", "1234567", "ヤマダ"), ("00a", "1234567", "ﾔﾏﾀﾞ"),
])
def test_account_fields_are_validated(db: Database, branch: str, number: str,
                                      holder: str) -> None:
    with db.transaction() as s:
        factories.branch(s)
    with pytest.raises(InvalidAccount), db.transaction() as s:
        open_account(s, branch_code=branch, number=number, account_type=AccountType.ORDINARY,
                     holder_kana=holder, customer_id=None, actor="t")


@pytest.mark.req("LED-3")
def test_database_constraint_guards_the_overdraft_line_even_against_a_bug(db: Database) -> None:
    """A direct UPDATE that skips the service still cannot break the overdraft line."""
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    with db.transaction() as s:
        a = factories.account(s, balance=100)
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.execute(update(Account).where(Account.id == a).values(balance=-1))
