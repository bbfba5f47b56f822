"""Transfers on the two-step lifecycle, own-bank payees (XFER-1..7, INS-1..3, LED-4, SUSP-1)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from kinko import clock
from kinko.batch.service import run_due
from kinko.db import Database
from kinko.errors import IdempotencyMismatch
from kinko.instructions.errors import (
    InstructionExpired,
    InstructionNotOpen,
    StepUpRequired,
)
from kinko.instructions.models import Instruction, InstructionStatus
from kinko.instructions.service import Actor, StepUpProof, raise_if_void
from kinko.ledger.books import book
from kinko.ledger.errors import AccountNotFound, AccountNotUsable, InsufficientFunds
from kinko.ledger.models import Account, AccountState, JournalEntry
from kinko.ledger.service import change_state
from kinko.money import InvalidAmount
from kinko.transfers import service as transfers
from kinko.transfers.errors import InvalidValueDate, LimitExceeded, PayeeAccountNotFound
from tests import factories

FRIDAY_10 = datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST)   # a business day
FRIDAY_16 = datetime(2026, 11, 20, 16, 0, tzinfo=clock.JST)   # after the 15:00 cutoff
NEXT_BUSINESS_DAY = date(2026, 11, 24)                        # 11-23 is 勤労感謝の日 (Mon)


@pytest.fixture(autouse=True)
def _friday() -> None:
    clock.set_now(FRIDAY_10)


def _bank(db: Database, balance: int = 100_000) -> tuple[Actor, int, dict[str, tuple[str, str]]]:
    """A payer at branch 001 and three payees: same branch same name, same branch other
    name, other branch."""
    with db.transaction() as s:
        actor, acc = factories.retail_actor(s, balance=balance)
        payees = {}
        for key, branch, holder in (("own_name", "001", "ﾔﾏﾀﾞ ﾀﾛｳ"),
                                    ("same_branch", "001", "ｻﾄｳ ﾊﾅｺ"),
                                    ("other_branch", "002", "ｽｽﾞｷ ｲﾁﾛｳ")):
            pid = factories.account(s, branch_code=branch, holder=holder)
            a = s.get(Account, pid)
            assert a is not None
            payees[key] = (a.branch_code, a.number)
    return actor, acc, payees


def _enter(db: Database, actor: Actor, acc: int, to: tuple[str, str], amount: object = 10_000,
           key: str = "k1", **kw: object) -> transfers.Quote:
    return db.run(lambda s: transfers.enter(
        s, actor, key=key, from_account_id=acc, amount=amount, bank_code="0999",
        branch_code=to[0], account_type="ordinary", number=to[1], **kw))


def _proof(actor: Actor, quote: transfers.Quote) -> StepUpProof:
    return StepUpProof(actor.user_id, quote.instruction.digest, clock.now())


def _confirm(db: Database, actor: Actor, quote: transfers.Quote) -> Instruction:
    result = db.run(lambda s: transfers.confirm(s, actor, quote.instruction.id,
                                                _proof(actor, quote)))
    raise_if_void(result)
    return result


def _balance(db: Database, account_id: int) -> int:
    with db.transaction() as s:
        a = s.get(Account, account_id)
        assert a is not None
        return a.balance


@pytest.mark.req("XFER-1")
@pytest.mark.req("XFER-7")
@pytest.mark.parametrize(("payee", "kind", "fee"), [
    ("own_name", "furikae", 0), ("same_branch", "furikomi", 0), ("other_branch", "furikomi", 110),
])
def test_classification_and_fee(db: Database, payee: str, kind: str, fee: int) -> None:
    actor, acc, payees = _bank(db)
    quote = _enter(db, actor, acc, payees[payee])
    assert quote.details["type"] == kind and quote.instruction.fee == fee


@pytest.mark.req("INS-1")
@pytest.mark.req("XFER-2")
@pytest.mark.req("XFER-4")
def test_same_day_transfer_debits_at_confirmation(db: Database) -> None:
    actor, acc, payees = _bank(db)
    quote = _enter(db, actor, acc, payees["other_branch"])
    assert quote.details["payee"]["holder"] == "ｽｽﾞｷ ｲﾁﾛｳ"  # shown before confirmation
    assert quote.instruction.status is InstructionStatus.ENTERED
    assert _balance(db, acc) == 100_000  # nothing moves at entry
    done = _confirm(db, actor, quote)
    assert done.status is InstructionStatus.EXECUTED and done.entry_id is not None
    assert _balance(db, acc) == 100_000 - 10_000 - 110
    with db.transaction() as s:
        assert s.get(Account, book(s, "fee_income")).balance == 110  # type: ignore[union-attr]


@pytest.mark.req("AUTH-3")
def test_confirmation_needs_step_up_for_exactly_these_details(db: Database) -> None:
    actor, acc, payees = _bank(db)
    quote = _enter(db, actor, acc, payees["same_branch"])
    with pytest.raises(StepUpRequired):
        db.run(lambda s: transfers.confirm(s, actor, quote.instruction.id, None))
    other = _enter(db, actor, acc, payees["same_branch"], amount=99, key="k2")
    with pytest.raises(StepUpRequired):  # a proof for another operation does not count
        db.run(lambda s: transfers.confirm(s, actor, quote.instruction.id,
                                           _proof(actor, other)))
    assert _balance(db, acc) == 100_000


@pytest.mark.req("INS-1")
def test_late_confirmation_voids_the_instruction(db: Database) -> None:
    actor, acc, payees = _bank(db)
    quote = _enter(db, actor, acc, payees["same_branch"])
    clock.advance(timedelta(minutes=10, seconds=1))
    with pytest.raises(InstructionExpired):
        _confirm(db, actor, quote)
    with db.transaction() as s:
        assert s.get(Instruction, quote.instruction.id).status is InstructionStatus.VOID  # type: ignore[union-attr]
    assert _balance(db, acc) == 100_000


@pytest.mark.req("INS-1")
def test_two_confirmations_debit_once(db: Database) -> None:
    actor, acc, payees = _bank(db)
    quote = _enter(db, actor, acc, payees["same_branch"])
    _confirm(db, actor, quote)
    with pytest.raises(InstructionNotOpen):
        _confirm(db, actor, quote)
    assert _balance(db, acc) == 90_000


@pytest.mark.req("INS-3")
def test_entering_twice_with_one_key_creates_one_instruction(db: Database) -> None:
    actor, acc, payees = _bank(db)
    first = _enter(db, actor, acc, payees["same_branch"])
    again = _enter(db, actor, acc, payees["same_branch"])
    assert again.replayed and again.instruction.id == first.instruction.id
    with pytest.raises(IdempotencyMismatch):
        _enter(db, actor, acc, payees["same_branch"], amount=10_001)


@pytest.mark.req("INS-3")
@pytest.mark.req("XFER-4")
def test_after_cutoff_runs_next_business_day_at_nine_exactly_once(db: Database) -> None:
    clock.set_now(FRIDAY_16)
    actor, acc, payees = _bank(db)
    quote = _enter(db, actor, acc, payees["same_branch"])
    assert quote.instruction.value_date == NEXT_BUSINESS_DAY and not quote.details["same_day"]
    assert _confirm(db, actor, quote).status is InstructionStatus.ACCEPTED
    assert _balance(db, acc) == 100_000
    nine = datetime.combine(NEXT_BUSINESS_DAY, datetime.min.time(), clock.JST) + timedelta(hours=9)
    run_due(db, at=nine - timedelta(minutes=1))
    assert _balance(db, acc) == 100_000
    run_due(db, at=nine)
    run_due(db, at=nine + timedelta(hours=1))
    assert _balance(db, acc) == 90_000
    with db.transaction() as s:
        assert s.get(Instruction, quote.instruction.id).status is InstructionStatus.EXECUTED  # type: ignore[union-attr]
        assert s.scalar(select(func.count()).select_from(JournalEntry).where(
            JournalEntry.idempotency_key == f"instruction:{quote.instruction.id}")) == 1


@pytest.mark.req("XFER-4")
@pytest.mark.req("INS-2")
def test_future_dated_with_short_funds_is_not_established(db: Database) -> None:
    actor, acc, payees = _bank(db, balance=20_000)
    quote = _enter(db, actor, acc, payees["same_branch"], amount=15_000,
                   value_date=NEXT_BUSINESS_DAY)
    _confirm(db, actor, quote)
    spend = _enter(db, actor, acc, payees["same_branch"], amount=10_000, key="k2")
    _confirm(db, actor, spend)  # same-day: leaves 10,000
    run_due(db, at=datetime(2026, 11, 24, 9, 0, tzinfo=clock.JST))
    with db.transaction() as s:
        inst = s.get(Instruction, quote.instruction.id)
        assert inst is not None and inst.status is InstructionStatus.NOT_ESTABLISHED
        assert inst.reason_code == "INSUFFICIENT_FUNDS" and inst.reason
    assert _balance(db, acc) == 10_000


@pytest.mark.req("XFER-5")
def test_future_dated_can_be_cancelled_until_the_day_before(db: Database) -> None:
    actor, acc, payees = _bank(db)
    q1 = _enter(db, actor, acc, payees["same_branch"], value_date=NEXT_BUSINESS_DAY)
    _confirm(db, actor, q1)
    cancelled = db.run(lambda s: transfers.cancel(s, actor, q1.instruction.id))
    assert cancelled.status is InstructionStatus.CANCELLED
    q2 = _enter(db, actor, acc, payees["same_branch"], value_date=NEXT_BUSINESS_DAY, key="k2")
    _confirm(db, actor, q2)
    clock.set_now(datetime(2026, 11, 24, 8, 0, tzinfo=clock.JST))
    from kinko.instructions.errors import NotCancellable

    with pytest.raises(NotCancellable):
        db.run(lambda s: transfers.cancel(s, actor, q2.instruction.id))
    run_due(db, at=datetime(2026, 11, 24, 9, 0, tzinfo=clock.JST))
    assert _balance(db, acc) == 90_000  # only the second one ran


@pytest.mark.req("XFER-5")
def test_same_day_transfer_cannot_be_cancelled(db: Database) -> None:
    from kinko.instructions.errors import NotCancellable

    actor, acc, payees = _bank(db)
    quote = _enter(db, actor, acc, payees["same_branch"])
    _confirm(db, actor, quote)
    with pytest.raises(NotCancellable):
        db.run(lambda s: transfers.cancel(s, actor, quote.instruction.id))


@pytest.mark.req("XFER-3")
@pytest.mark.parametrize("value_date", [
    date(2026, 11, 19), date(2026, 11, 23), date(2026, 12, 3), date(2026, 11, 21),
])
def test_value_date_must_be_a_business_day_within_range(db: Database, value_date: date) -> None:
    actor, acc, payees = _bank(db)
    with pytest.raises(InvalidValueDate):
        _enter(db, actor, acc, payees["same_branch"], value_date=value_date)


@pytest.mark.req("XFER-3")
def test_seventh_business_day_is_allowed(db: Database) -> None:
    actor, acc, payees = _bank(db)
    # 11-20 + 7 business days (skipping the weekend and 11-23) = 12-01
    quote = _enter(db, actor, acc, payees["same_branch"], value_date=date(2026, 12, 1))
    assert quote.instruction.value_date == date(2026, 12, 1)


@pytest.mark.req("XFER-6")
def test_limits_per_transaction_daily_lowering_and_raising(db: Database) -> None:
    actor, acc, payees = _bank(db, balance=5_000_000)
    with pytest.raises(LimitExceeded):  # retail per-transaction maximum 1,000,000
        _enter(db, actor, acc, payees["same_branch"], amount=1_000_001)
    from kinko.transfers.rules import Limits

    # Lowering needs no step-up (XFER-6): it can only protect the customer.
    db.run(lambda s: transfers.set_limits(s, actor, per_transaction=50_000, daily=60_000,
                                          for_user=False, step_up=None))
    with pytest.raises(LimitExceeded):
        _enter(db, actor, acc, payees["same_branch"], amount=50_001)
    _confirm(db, actor, _enter(db, actor, acc, payees["same_branch"], amount=40_000))
    second = _enter(db, actor, acc, payees["same_branch"], amount=30_000, key="k2")
    with pytest.raises(LimitExceeded):  # 40,000 + 30,000 > 60,000 today
        _confirm(db, actor, second)
    with pytest.raises(StepUpRequired):  # raising needs step-up
        db.run(lambda s: transfers.set_limits(s, actor, per_transaction=100_000,
                                              daily=200_000, for_user=False, step_up=None))
    proof = StepUpProof(actor.user_id, transfers.limits_digest(Limits(100_000, 200_000)),
                        clock.now())
    db.run(lambda s: transfers.set_limits(s, actor, per_transaction=100_000, daily=200_000,
                                          for_user=False, step_up=proof))
    # the quote fixed the limits it was entered under; a fresh one uses the new limits
    third = _enter(db, actor, acc, payees["same_branch"], amount=30_000, key="k3")
    _confirm(db, actor, third)
    assert _balance(db, acc) == 5_000_000 - 70_000


@pytest.mark.req("XFER-6")
def test_chosen_limits_hold_for_a_registered_payee_read_in_one_statement(db: Database
                                                                         ) -> None:
    """An entry to a registered payee reads the contract's and the user's chosen limits with
    the payee: each is in force, the lower one wins, and the quote shows it."""
    actor, acc, payees = _bank(db, balance=5_000_000)
    payee = db.run(lambda s: transfers.register_payee(
        s, actor, bank_code="0999", branch_code=payees["same_branch"][0],
        account_type="ordinary", number=payees["same_branch"][1]))

    def enter(amount: int, key: str) -> transfers.Quote:
        return db.run(lambda s: transfers.enter(s, actor, key=key, from_account_id=acc,
                                                amount=amount, payee_id=payee.id))

    assert enter(900_000, "k0").details["limits"]["per_transaction"] == 1_000_000
    db.run(lambda s: transfers.set_limits(s, actor, per_transaction=80_000, daily=90_000,
                                          for_user=False, step_up=None))
    with pytest.raises(LimitExceeded):
        enter(80_001, "k1")
    db.run(lambda s: transfers.set_limits(s, actor, per_transaction=30_000, daily=90_000,
                                          for_user=True, step_up=None))
    with pytest.raises(LimitExceeded):
        enter(30_001, "k2")
    assert enter(30_000, "k3").details["limits"] == {"per_transaction": 30_000,
                                                     "daily": 90_000}


@pytest.mark.req("XFER-6")
def test_a_limit_above_the_bank_maximum_is_refused(db: Database) -> None:
    from kinko.transfers.errors import LimitRaiseNotAllowed

    actor, _, _ = _bank(db)
    with pytest.raises(LimitRaiseNotAllowed):
        db.run(lambda s: transfers.set_limits(s, actor, per_transaction=2_000_000,
                                              daily=2_000_000, for_user=True, step_up=None))


@pytest.mark.req("XFER-2")
def test_registered_payee_and_unknown_account(db: Database) -> None:
    actor, acc, payees = _bank(db)
    payee = db.run(lambda s: transfers.register_payee(
        s, actor, bank_code="0999", branch_code=payees["other_branch"][0],
        account_type="ordinary", number=payees["other_branch"][1], nickname="鈴木さん"))
    assert payee.holder_kana == "ｽｽﾞｷ ｲﾁﾛｳ"
    quote = db.run(lambda s: transfers.enter(s, actor, key="p1", from_account_id=acc,
                                             amount=1_000, payee_id=payee.id))
    assert quote.details["payee"]["ad_hoc"] is False
    with pytest.raises(PayeeAccountNotFound):
        _enter(db, actor, acc, ("001", "7777777"), key="bad")


def test_a_registered_payee_entry_checks_the_source_account_first(db: Database) -> None:
    """The payee, its account, the limits and the source account are read in one statement,
    and still checked in order: another customer's account is not found (whatever the
    payee), then an unknown payee is refused; nothing is entered."""
    from kinko.transfers.errors import InvalidPayee

    actor, acc, payees = _bank(db)
    _other, others_acc, _ = _bank(db)
    payee = db.run(lambda s: transfers.register_payee(
        s, actor, bank_code="0999", branch_code=payees["same_branch"][0],
        account_type="ordinary", number=payees["same_branch"][1]))

    def enter(source: int, payee_id: int) -> object:
        return db.run(lambda s: transfers.enter(s, actor, key="k", from_account_id=source,
                                                amount=1_000, payee_id=payee_id))

    for payee_id in (payee.id, payee.id + 1_000):
        with pytest.raises(AccountNotFound):
            enter(others_acc, payee_id)
    with pytest.raises(InvalidPayee):
        enter(acc, payee.id + 1_000)
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Instruction)) == 0


@pytest.mark.req("LED-4")
@pytest.mark.req("SUSP-1")
def test_stopped_account_stops_its_transfers_and_resumes(db: Database) -> None:
    actor, acc, payees = _bank(db)
    db.run(lambda s: change_state(s, acc, AccountState.PAYMENT_STOPPED, actor="operator:1",
                                  reason="lost card"))
    with pytest.raises(AccountNotUsable):
        _enter(db, actor, acc, payees["same_branch"])
    db.run(lambda s: change_state(s, acc, AccountState.ACTIVE, actor="operator:1",
                                  reason="card found"))
    _confirm(db, actor, _enter(db, actor, acc, payees["same_branch"]))
    assert _balance(db, acc) == 90_000


@pytest.mark.req("LED-3")
def test_same_day_short_funds_refuses_and_leaves_the_instruction_open(db: Database) -> None:
    # Two entries that each fit the balance, but not both: the second confirmation is short.
    actor, acc, payees = _bank(db, balance=15_000)
    first = _enter(db, actor, acc, payees["same_branch"], key="k1")
    quote = _enter(db, actor, acc, payees["same_branch"], key="k2")
    _confirm(db, actor, first)
    with pytest.raises(InsufficientFunds):
        _confirm(db, actor, quote)
    with db.transaction() as s:
        assert s.get(Instruction, quote.instruction.id).status is InstructionStatus.ENTERED  # type: ignore[union-attr]


def test_same_day_amount_above_the_withdrawable_is_refused_at_entry(db: Database) -> None:
    """Issue 10: the entry itself refuses what cannot be paid today (amount and fee), and
    leaves no instruction behind; a future-dated one waits for its value date."""
    actor, acc, payees = _bank(db, balance=10_000)
    with pytest.raises(InsufficientFunds) as refused:
        _enter(db, actor, acc, payees["other_branch"], amount=10_000)   # + the fee
    assert refused.value.extra["withdrawable"] == 10_000
    assert refused.value.extra["needed"] > 10_000
    with db.transaction() as s:
        assert s.execute(select(func.count()).select_from(Instruction)).scalar_one() == 0
    assert _enter(db, actor, acc, payees["same_branch"], amount=10_000, key="k2").instruction


@pytest.mark.parametrize("amount", ["abc", -5, 0, 1.5, "1e5"])
def test_bad_amounts_are_refused(db: Database, amount: object) -> None:
    actor, acc, payees = _bank(db)
    with pytest.raises(InvalidAmount):
        _enter(db, actor, acc, payees["same_branch"], amount=amount)


def test_another_customers_account_is_not_found(db: Database) -> None:
    actor, _, payees = _bank(db)
    with db.transaction() as s:
        _, someone_else = factories.retail_actor(s, balance=1_000)
    with pytest.raises(AccountNotFound):
        _enter(db, actor, someone_else, payees["same_branch"])
