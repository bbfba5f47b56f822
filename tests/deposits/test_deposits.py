"""Time deposits (TD-1) on the two-step lifecycle (INS-1): opening, maturity by the batch,
early cancellation, the tax books, residency (PRD-5)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from kinko import clock
from kinko.batch.service import run_due
from kinko.db import Database
from kinko.deposits import service as deposits
from kinko.deposits.errors import (
    DepositMaturing,
    DepositNotActive,
    DepositNotFound,
    InvalidTerm,
    PrincipalTooSmall,
)
from kinko.deposits.models import DepositState, TimeDeposit
from kinko.instructions.errors import InstructionExpired, InstructionNotOpen, StepUpRequired
from kinko.instructions.models import Instruction, InstructionStatus
from kinko.instructions.service import Actor, StepUpProof, raise_if_void
from kinko.ledger.books import book
from kinko.ledger.errors import AccountNotFound, InsufficientFunds
from kinko.ledger.models import Account, AccountState, AccountType, JournalEntry
from kinko.ledger.service import change_state, check_books
from kinko.money import InvalidAmount
from kinko.parties.errors import NotAllowedForNonResident
from kinko.parties.residency import change_residency
from tests import factories

pytestmark = pytest.mark.req("TD-1")

FRIDAY_10 = datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST)
# 3 months from 2026-11-20 is Saturday 2027-02-20: paid out on Monday 2027-02-22 at 09:00.
MATURITY = date(2027, 2, 20)
PAYOUT_AT = datetime(2027, 2, 22, 9, 0, tzinfo=clock.JST)
# 1,000,000 yen × 0.250 % × 92/365 = 630.13 → 630; national 15.315 % = 96.48 → 96;
# local 5 % = 31.5 → 31; net 503.
GROSS, NATIONAL, LOCAL, NET = 630, 96, 31, 503


@pytest.fixture(autouse=True)
def _friday() -> None:
    clock.set_now(FRIDAY_10)


def _setup(db: Database, balance: int = 2_000_000) -> tuple[Actor, int]:
    with db.transaction() as s:
        return factories.retail_actor(s, balance=balance)


def _enter(db: Database, actor: Actor, acc: int, amount: object = 1_000_000, term: int = 3,
           key: str = "t1") -> deposits.Quote:
    return db.run(lambda s: deposits.enter_opening(s, actor, key=key, from_account_id=acc,
                                                   amount=amount, term_months=term))


def _proof(actor: Actor, quote: deposits.Quote) -> StepUpProof:
    return StepUpProof(actor.user_id, quote.instruction.digest, clock.now())


def _open(db: Database, actor: Actor, acc: int, **kw: object) -> TimeDeposit:
    quote = _enter(db, actor, acc, **kw)  # type: ignore[arg-type]
    done = db.run(lambda s: deposits.confirm_opening(s, actor, quote.instruction.id,
                                                     _proof(actor, quote)))
    raise_if_void(done)
    with db.transaction() as s:
        return s.execute(select(TimeDeposit).where(
            TimeDeposit.open_instruction_id == done.id)).scalar_one()


def _balance(db: Database, account_id: int) -> int:
    with db.transaction() as s:
        account = s.get(Account, account_id)
        assert account is not None
        return account.balance


def _books(db: Database) -> tuple[int, int, int]:
    """(interest expense, tax withheld, suspense) balances."""
    with db.transaction() as s:
        return tuple(s.get(Account, book(s, role)).balance  # type: ignore[return-value, union-attr]
                     for role in ("interest_expense", "tax_withheld", "suspense"))


def _count(db: Database, model: type, *where: object) -> int:
    with db.transaction() as s:
        n = s.scalar(select(func.count()).select_from(model).where(*where))  # type: ignore[arg-type]
        assert n is not None
        return n


@pytest.mark.req("INS-1")
def test_opening_shows_the_terms_then_moves_the_principal_into_a_new_time_account(
        db: Database) -> None:
    actor, acc = _setup(db)
    quote = _enter(db, actor, acc)
    assert quote.details["start_date"] == "2026-11-20"
    assert quote.details["maturity_date"] == MATURITY.isoformat()
    assert quote.details["annual_rate_per_100k"] == 250
    assert quote.details["expected"] == {"days": 92, "gross_interest": GROSS,
                                         "national_tax": NATIONAL, "local_tax": LOCAL,
                                         "net_interest": NET}
    assert _balance(db, acc) == 2_000_000  # nothing moves at entry
    deposit = _open(db, actor, acc)
    assert _balance(db, acc) == 1_000_000
    with db.transaction() as s:
        time_account = s.get(Account, deposit.account_id)
        assert time_account is not None and time_account.type is AccountType.TIME
        assert time_account.number == "7000001" and time_account.balance == 1_000_000
        assert time_account.customer_id == actor.customer_id
        assert (deposit.principal, deposit.term_months, deposit.state) == (
            1_000_000, 3, DepositState.ACTIVE)
        assert deposits.list_deposits(s, actor)[0].id == deposit.id


def test_the_batch_pays_principal_and_net_interest_at_maturity_exactly_once(
        db: Database) -> None:
    actor, acc = _setup(db)
    deposit = _open(db, actor, acc)
    expense, tax, _ = _books(db)
    run_due(db, at=PAYOUT_AT - timedelta(minutes=1))  # Saturday's maturity waits for Monday
    assert _balance(db, acc) == 1_000_000
    clock.set_now(PAYOUT_AT)
    run_due(db, at=PAYOUT_AT)
    run_due(db, at=PAYOUT_AT + timedelta(hours=1))
    assert _balance(db, acc) == 1_000_000 + 1_000_000 + NET
    assert _books(db)[:2] == (expense - GROSS, tax + NATIONAL + LOCAL)
    with db.transaction() as s:
        done = s.get(TimeDeposit, deposit.id)
        assert done is not None and done.state is DepositState.MATURED
        assert (done.gross_interest, done.national_tax, done.local_tax) == (GROSS, NATIONAL,
                                                                           LOCAL)
        account = s.get(Account, deposit.account_id)
        assert account is not None and account.state is AccountState.CLOSED
        assert account.balance == 0 and account.closed_on == PAYOUT_AT.date()
        assert check_books(s).ok
    assert _count(db, JournalEntry, JournalEntry.kind == "time_deposit_mature") == 1


@pytest.mark.req("INS-3")
def test_after_the_handling_time_the_deposit_starts_on_the_next_business_day(
        db: Database) -> None:
    clock.set_now(datetime(2026, 11, 20, 16, 0, tzinfo=clock.JST))
    actor, acc = _setup(db)
    quote = _enter(db, actor, acc)
    # 11-21/22 weekend, 11-23 勤労感謝の日
    assert quote.details["start_date"] == "2026-11-24"
    assert quote.details["maturity_date"] == "2027-02-24"
    assert quote.instruction.value_date == date(2026, 11, 24)


@pytest.mark.req("AUTH-3")
@pytest.mark.req("INS-1")
def test_confirmation_needs_step_up_and_a_late_one_voids(db: Database) -> None:
    actor, acc = _setup(db)
    quote = _enter(db, actor, acc)
    with pytest.raises(StepUpRequired):
        db.run(lambda s: deposits.confirm_opening(s, actor, quote.instruction.id, None))
    clock.advance(timedelta(minutes=11))
    with pytest.raises(InstructionExpired):
        raise_if_void(db.run(lambda s: deposits.confirm_opening(
            s, actor, quote.instruction.id, _proof(actor, quote))))
    assert _balance(db, acc) == 2_000_000
    assert _count(db, Account, Account.type == AccountType.TIME) == 0


@pytest.mark.parametrize(("amount", "term", "error"), [
    (1_000_000, 2, InvalidTerm),
    (999, 3, PrincipalTooSmall),
    ("1000.5", 3, InvalidAmount),
    (-5_000, 3, InvalidAmount),
    (1.0e6, 3, InvalidAmount),
])
def test_bad_input_is_refused_and_nothing_is_written(
        db: Database, amount: object, term: int, error: type[Exception]) -> None:
    actor, acc = _setup(db)
    with pytest.raises(error):
        _enter(db, actor, acc, amount=amount, term=term)
    assert _count(db, Instruction) == 0 and _balance(db, acc) == 2_000_000


def test_only_the_customers_own_ordinary_account_can_fund_it(db: Database) -> None:
    actor, acc = _setup(db)
    with db.transaction() as s:
        _, stranger = factories.retail_actor(s, balance=5_000_000, holder="ｻﾄｳ ﾊﾅｺ")
    deposit = _open(db, actor, acc)
    for source in (stranger, deposit.account_id):  # another's account; a TIME account
        with pytest.raises(AccountNotFound):
            _enter(db, actor, source, key=f"x{source}")


@pytest.mark.req("INS-2")
def test_short_funds_at_confirmation_open_nothing(db: Database) -> None:
    actor, acc = _setup(db, balance=1_500_000)
    quote = _enter(db, actor, acc)
    _open(db, actor, acc, amount=600_000, key="spend")  # leaves 900,000
    with pytest.raises(InsufficientFunds):
        db.run(lambda s: deposits.confirm_opening(s, actor, quote.instruction.id,
                                                  _proof(actor, quote)))
    assert _balance(db, acc) == 900_000
    assert _count(db, Account, Account.type == AccountType.TIME) == 1
    assert _count(db, TimeDeposit) == 1


def test_account_numbers_are_the_next_free_ones_of_the_branch(db: Database) -> None:
    actor, acc = _setup(db, balance=5_000_000)
    first = _open(db, actor, acc, amount=10_000, key="a")
    with db.transaction() as s:
        factories.branch(s, "001")
        from kinko.ledger.service import open_account
        open_account(s, branch_code="001", number="7000005", account_type=AccountType.TIME,
                     holder_kana="ﾀﾆﾝ", customer_id=None, actor="test")
    second = _open(db, actor, acc, amount=10_000, key="b")
    with db.transaction() as s:
        numbers = [s.get(Account, d.account_id).number  # type: ignore[union-attr]
                   for d in (first, second)]
    assert numbers == ["7000001", "7000006"]


def test_a_number_taken_after_the_highest_was_read_moves_on_to_the_next(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """The window a concurrent opening leaves: its number committed after this opening read
    the branch's highest number, so the look-up in ``open_account`` (not the unique key)
    finds it taken. The opening takes the next number instead of failing."""
    actor, acc = _setup(db, balance=5_000_000)
    _open(db, actor, acc, amount=10_000, key="a")                     # 7000001
    from kinko.deposits import repository as deposit_repo
    real = deposit_repo.highest_number
    reads = iter([None])   # the first read predates 7000001; later reads are current

    def stale_then_current(*args: object) -> int | None:
        return next(reads, real(*args))  # type: ignore[arg-type]

    monkeypatch.setattr(deposit_repo, "highest_number", stale_then_current)
    second = _open(db, actor, acc, amount=10_000, key="b")
    with db.transaction() as s:
        assert s.get(Account, second.account_id).number == "7000002"  # type: ignore[union-attr]


def test_early_cancellation_pays_the_figures_shown_at_the_early_rate(db: Database) -> None:
    actor, acc = _setup(db)
    deposit = _open(db, actor, acc)
    clock.set_now(datetime(2027, 1, 5, 10, 0, tzinfo=clock.JST))
    quote = db.run(lambda s: deposits.enter_cancellation(s, actor, key="c1",
                                                         deposit_id=deposit.id))
    # 46 days at 0.020 %: 25.2 → 25; national 3.83 → 3; local 1.25 → 1; net 21
    d = quote.details
    assert (d["days"], d["applied_rate_per_100k"], d["gross_interest"], d["national_tax"],
            d["local_tax"], d["net_interest"], d["payout"]) == (46, 20, 25, 3, 1, 21,
                                                                1_000_021)
    assert _balance(db, acc) == 1_000_000  # nothing moves at entry
    expense, tax, _ = _books(db)
    done = db.run(lambda s: deposits.confirm_cancellation(s, actor, quote.instruction.id,
                                                          _proof(actor, quote)))
    assert done.status is InstructionStatus.EXECUTED
    assert _balance(db, acc) == 2_000_021
    assert _books(db)[:2] == (expense - 25, tax + 4)
    with db.transaction() as s:
        closed = s.get(TimeDeposit, deposit.id)
        assert closed is not None and closed.state is DepositState.CANCELLED
        assert closed.close_instruction_id == done.id
        assert s.get(Account, deposit.account_id).state is AccountState.CLOSED  # type: ignore[union-attr]
    run_due(db, at=PAYOUT_AT)  # the maturity message finds nothing to do
    assert _balance(db, acc) == 2_000_021
    with pytest.raises(DepositNotActive):
        db.run(lambda s: deposits.enter_cancellation(s, actor, key="c2",
                                                     deposit_id=deposit.id))


def test_a_cancellation_confirmed_after_maturity_was_paid_pays_nothing_twice(
        db: Database) -> None:
    actor, acc = _setup(db)
    deposit = _open(db, actor, acc)
    clock.set_now(datetime(2027, 2, 19, 23, 55, tzinfo=clock.JST))
    quote = db.run(lambda s: deposits.enter_cancellation(s, actor, key="c1",
                                                         deposit_id=deposit.id))
    run_due(db, at=PAYOUT_AT)
    # The maturity run paid the deposit out; the same run also voided the stale draft. Either
    # refusal stops the late confirmation: the deposit is paid once.
    with pytest.raises((DepositNotActive, InstructionNotOpen)):
        db.run(lambda s: deposits.confirm_cancellation(s, actor, quote.instruction.id,
                                                       _proof(actor, quote)))
    assert _balance(db, acc) == 2_000_000 + NET


def test_cancellation_is_refused_from_the_maturity_date_and_for_others(db: Database) -> None:
    actor, acc = _setup(db)
    deposit = _open(db, actor, acc)
    with db.transaction() as s:
        stranger, _ = factories.retail_actor(s, balance=1, holder="ｻﾄｳ ﾊﾅｺ")
    with pytest.raises(DepositNotFound):
        db.run(lambda s: deposits.enter_cancellation(s, stranger, key="c",
                                                     deposit_id=deposit.id))
    clock.set_now(datetime(2027, 2, 20, 8, 0, tzinfo=clock.JST))
    with pytest.raises(DepositMaturing):
        db.run(lambda s: deposits.enter_cancellation(s, actor, key="c",
                                                     deposit_id=deposit.id))


@pytest.mark.req("PRD-5")
def test_non_residents_cannot_open_but_can_cancel_and_pay_no_local_tax(db: Database) -> None:
    actor, acc = _setup(db)
    deposit = _open(db, actor, acc)
    db.run(lambda s: change_residency(s, actor.customer_id, False, date(2026, 11, 20),
                                      actor="operator:1"))
    with pytest.raises(NotAllowedForNonResident):
        _enter(db, actor, acc, key="t2")
    _, tax, _ = _books(db)
    clock.set_now(PAYOUT_AT)
    run_due(db, at=PAYOUT_AT)
    assert _balance(db, acc) == 1_000_000 + 1_000_000 + GROSS - NATIONAL
    assert _books(db)[1] == tax + NATIONAL
    with db.transaction() as s:
        assert s.get(TimeDeposit, deposit.id).local_tax == 0  # type: ignore[union-attr]


@pytest.mark.req("LED-4")
def test_maturity_to_a_closed_account_goes_to_suspense_and_still_closes(
        db: Database) -> None:
    actor, acc = _setup(db)
    deposit = _open(db, actor, acc)
    with db.transaction() as s:
        change_state(s, acc, AccountState.CLOSED, actor="test", reason="closed")
    *_, suspense = _books(db)
    run_due(db, at=PAYOUT_AT)
    assert _books(db)[2] == suspense + 1_000_000 + NET
    with db.transaction() as s:
        done = s.get(TimeDeposit, deposit.id)
        assert done is not None and done.state is DepositState.MATURED and done.paid_to_suspense
        assert check_books(s).ok
