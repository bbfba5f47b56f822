"""Pay-easy bill payment (PAY-1) on the two-step lifecycle (INS-1), with its own daily limit."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from kinko import clock
from kinko.db import Database
from kinko.instructions.errors import InstructionExpired, StepUpRequired
from kinko.instructions.models import Instruction, InstructionStatus
from kinko.instructions.service import Actor, StepUpProof, raise_if_void
from kinko.ledger.books import book
from kinko.ledger.errors import AccountNotUsable, InsufficientFunds
from kinko.ledger.models import Account, AccountState, JournalEntry
from kinko.ledger.service import change_state
from kinko.outbox.models import OutboxMessage
from kinko.parties.errors import NotAllowedForNonResident
from kinko.parties.models import Customer
from kinko.payeasy import service as payeasy
from kinko.payeasy.errors import (
    BillAlreadyPaid,
    BillCancelled,
    BillNotFound,
    BillOverdue,
    InvalidBillCode,
    LimitExceeded,
    UnknownAgency,
)
from kinko.payeasy.models import BillState, PayEasyBill
from kinko.payeasy.seed import BILLS, seed_demo
from tests import factories

pytestmark = pytest.mark.req("PAY-1")

FRIDAY_10 = datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST)
AGENCY = "12345"


@pytest.fixture(autouse=True)
def _friday() -> None:
    clock.set_now(FRIDAY_10)


def _setup(db: Database, balance: int = 100_000) -> tuple[Actor, int]:
    with db.transaction() as s:
        actor, acc = factories.retail_actor(s, balance=balance)
        payeasy.register_agency(s, code=AGENCY, name="きんこ電力株式会社",
                                name_kana="ｷﾝｺﾃﾞﾝﾘﾖｸ", actor="test")
    return actor, acc


def _bill(db: Database, number: str = "1001", amount: int = 8_640, confirmation: str = "123456",
          due: date = date(2026, 11, 30)) -> int:
    with db.transaction() as s:
        return payeasy.issue_bill(s, agency_code=AGENCY, customer_number=number,
                                  confirmation_number=confirmation, amount=amount, due_date=due,
                                  payee_name="きんこ電力株式会社",
                                  description="電気料金 11月分").id


def _enter(db: Database, actor: Actor, acc: int, number: str = "1001",
           confirmation: str = "123456", key: str = "p1") -> payeasy.Quote:
    return db.run(lambda s: payeasy.enter(
        s, actor, key=key, from_account_id=acc, agency_code=AGENCY, customer_number=number,
        confirmation_number=confirmation))


def _confirm(db: Database, actor: Actor, quote: payeasy.Quote) -> Instruction:
    proof = StepUpProof(actor.user_id, quote.instruction.digest, clock.now())
    result = db.run(lambda s: payeasy.confirm(s, actor, quote.instruction.id, proof))
    raise_if_void(result)
    return result


def _money(db: Database, acc: int) -> tuple[int, int, int]:
    """(payer balance, settlement book balance, journal entries)."""
    with db.transaction() as s:
        payer = s.get(Account, acc)
        settlement = s.get(Account, book(s, "payeasy_settlement"))
        assert payer is not None and settlement is not None
        entries = s.scalar(select(func.count()).select_from(JournalEntry))
        assert entries is not None
        return payer.balance, settlement.balance, entries


def _state(db: Database, bill_id: int) -> BillState:
    with db.transaction() as s:
        bill = s.get(PayEasyBill, bill_id)
        assert bill is not None
        return bill.state


def test_lookup_shows_the_bill_before_confirmation(db: Database) -> None:
    _setup(db)
    _bill(db)
    view = db.run(lambda s: payeasy.lookup_bill(
        s, agency_code="１２３４５", customer_number="10-01", confirmation_number="123456"))
    assert (view.agency_name, view.payee_name, view.amount, view.due_date, view.state) == (
        "きんこ電力株式会社", "きんこ電力株式会社", 8_640, date(2026, 11, 30), "unpaid")


@pytest.mark.parametrize(("codes", "error"), [
    (("99999", "1001", "123456"), UnknownAgency),
    ((AGENCY, "1002", "123456"), BillNotFound),
    ((AGENCY, "1001", "123457"), BillNotFound),
    (("1234", "1001", "123456"), InvalidBillCode),
    ((AGENCY, "1001", "1234567"), InvalidBillCode),
    ((AGENCY, "10a1", "123456"), InvalidBillCode),
    ((AGENCY, "", "123456"), InvalidBillCode),
])
def test_wrong_codes_are_refused_and_nothing_is_booked(
        db: Database, codes: tuple[str, str, str], error: type[Exception]) -> None:
    actor, acc = _setup(db)
    _bill(db)
    before = _money(db, acc)
    with pytest.raises(error):
        db.run(lambda s: payeasy.lookup_bill(s, agency_code=codes[0], customer_number=codes[1],
                                             confirmation_number=codes[2]))
    with pytest.raises(error):
        _enter(db, actor, acc, number=codes[1], confirmation=codes[2]) if codes[0] == AGENCY \
            else db.run(lambda s: payeasy.enter(
                s, actor, key="x", from_account_id=acc, agency_code=codes[0],
                customer_number=codes[1], confirmation_number=codes[2]))
    assert _money(db, acc) == before
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Instruction)) == 0


@pytest.mark.req("INS-1")
@pytest.mark.req("LED-2")
def test_confirmed_payment_debits_the_payer_and_credits_the_settlement_book(
        db: Database) -> None:
    actor, acc = _setup(db)
    bill_id = _bill(db)
    balance, settlement, entries = _money(db, acc)
    quote = _enter(db, actor, acc)
    assert quote.details["bill"]["payee_name"] == "きんこ電力株式会社"
    assert quote.details["amount"] == 8_640 and quote.instruction.kind == "payeasy"
    assert _money(db, acc) == (balance, settlement, entries)  # nothing moves at entry
    done = _confirm(db, actor, quote)
    assert done.status is InstructionStatus.EXECUTED and done.entry_id is not None
    assert _money(db, acc) == (balance - 8_640, settlement + 8_640, entries + 1)
    assert _state(db, bill_id) is BillState.PAID
    with db.transaction() as s:
        bill = s.get(PayEasyBill, bill_id)
        assert bill is not None and bill.paid_instruction_id == done.id
        assert bill.paid_entry_id == done.entry_id
        [mail] = s.execute(select(OutboxMessage.payload).where(
            OutboxMessage.topic == "email.send")).scalars()
        assert '"template": "payeasy.paid"' in mail and "P0000000" in mail  # NOTIF-1


@pytest.mark.req("AUTH-3")
def test_confirmation_needs_step_up_and_books_nothing_without_it(db: Database) -> None:
    actor, acc = _setup(db)
    bill_id = _bill(db)
    before = _money(db, acc)
    quote = _enter(db, actor, acc)
    with pytest.raises(StepUpRequired):
        db.run(lambda s: payeasy.confirm(s, actor, quote.instruction.id, None))
    wrong = StepUpProof(actor.user_id, "0" * 64, clock.now())
    with pytest.raises(StepUpRequired):
        db.run(lambda s: payeasy.confirm(s, actor, quote.instruction.id, wrong))
    assert _money(db, acc) == before and _state(db, bill_id) is BillState.UNPAID


@pytest.mark.req("INS-1")
def test_late_confirmation_voids_and_leaves_the_bill_unpaid(db: Database) -> None:
    actor, acc = _setup(db)
    bill_id = _bill(db)
    quote = _enter(db, actor, acc)
    clock.advance(timedelta(minutes=10, seconds=1))
    with pytest.raises(InstructionExpired):
        _confirm(db, actor, quote)
    assert _state(db, bill_id) is BillState.UNPAID and _money(db, acc)[0] == 100_000


def test_a_paid_bill_cannot_be_paid_again(db: Database) -> None:
    actor, acc = _setup(db)
    with db.transaction() as s:
        other, other_acc = factories.retail_actor(s, balance=50_000, holder="ｻﾄｳ ﾊﾅｺ")
    bill_id = _bill(db)
    first = _enter(db, actor, acc)
    second = _enter(db, other, other_acc, key="p2")  # both see it unpaid
    _confirm(db, actor, first)
    before = _money(db, other_acc)
    with pytest.raises(BillAlreadyPaid):
        _confirm(db, other, second)
    assert _money(db, other_acc) == before
    with db.transaction() as s:
        again = s.get(Instruction, second.instruction.id)
        assert again is not None and again.status is InstructionStatus.ENTERED
    with pytest.raises(BillAlreadyPaid):
        _enter(db, other, other_acc, key="p3")
    assert _state(db, bill_id) is BillState.PAID


@pytest.mark.req("XFER-6")
def test_daily_limit_is_its_own_and_taken_at_confirmation(db: Database) -> None:
    actor, acc = _setup(db, balance=3_000_000)
    _bill(db, number="1", amount=600_000)
    _bill(db, number="2", amount=500_000)
    _bill(db, number="3", amount=1_000_001)
    with pytest.raises(LimitExceeded):
        _enter(db, actor, acc, number="3")
    q1 = _enter(db, actor, acc, number="1", key="a")
    q2 = _enter(db, actor, acc, number="2", key="b")  # each fits alone
    _confirm(db, actor, q1)
    before = _money(db, acc)
    with pytest.raises(LimitExceeded):
        _confirm(db, actor, q2)  # 600,000 + 500,000 > 1,000,000
    assert _money(db, acc) == before
    clock.set_now(FRIDAY_10 + timedelta(days=1))  # a new day, a new limit
    _confirm(db, actor, _enter(db, actor, acc, number="2", key="c"))
    assert _money(db, acc)[0] == 3_000_000 - 1_100_000


@pytest.mark.req("INS-2")
def test_short_funds_refuse_the_payment_and_leave_bill_and_limit_untouched(
        db: Database) -> None:
    actor, acc = _setup(db, balance=5_000)
    bill_id = _bill(db)
    before = _money(db, acc)
    quote = _enter(db, actor, acc)
    with pytest.raises(InsufficientFunds):
        _confirm(db, actor, quote)
    assert _money(db, acc) == before and _state(db, bill_id) is BillState.UNPAID
    from kinko.transfers.repository import used
    with db.transaction() as s:
        assert used(s, payeasy.limit_scope(actor.contract_id), FRIDAY_10.date()) == 0


def test_overdue_and_cancelled_bills_are_refused(db: Database) -> None:
    actor, acc = _setup(db)
    _bill(db, number="1", due=date(2026, 11, 19))
    _bill(db, number="2", due=date(2026, 11, 20))  # due today: still payable
    _bill(db, number="3")
    with db.transaction() as s:
        payeasy.agency_cancel(s, agency_code=AGENCY, customer_number="3", reason="訂正")
    with pytest.raises(BillOverdue):
        _enter(db, actor, acc, number="1")
    with pytest.raises(BillCancelled):
        _enter(db, actor, acc, number="3", key="k3")
    _confirm(db, actor, _enter(db, actor, acc, number="2", key="k2"))


def test_a_bill_that_falls_due_during_confirmation_is_refused(db: Database) -> None:
    actor, acc = _setup(db)
    bill_id = _bill(db, due=date(2026, 11, 20))
    clock.set_now(datetime(2026, 11, 20, 23, 55, tzinfo=clock.JST))
    quote = _enter(db, actor, acc)
    clock.set_now(datetime(2026, 11, 21, 0, 1, tzinfo=clock.JST))
    with pytest.raises(BillOverdue):
        _confirm(db, actor, quote)
    assert _state(db, bill_id) is BillState.UNPAID and _money(db, acc)[0] == 100_000


@pytest.mark.req("LED-4")
@pytest.mark.req("SUSP-1")
def test_a_stopped_account_cannot_pay(db: Database) -> None:
    actor, acc = _setup(db)
    _bill(db)
    with db.transaction() as s:
        change_state(s, acc, AccountState.PAYMENT_STOPPED, actor="test", reason="lost card")
    with pytest.raises(AccountNotUsable):
        _enter(db, actor, acc)


@pytest.mark.req("PRD-5")
def test_non_residents_cannot_use_pay_easy(db: Database) -> None:
    actor, acc = _setup(db)
    _bill(db)
    with db.transaction() as s:
        customer = s.get(Customer, actor.customer_id)
        assert customer is not None
        customer.resident = False
    with pytest.raises(NotAllowedForNonResident):
        _enter(db, actor, acc)
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Instruction)) == 0


@pytest.mark.req("INS-3")
def test_entering_twice_with_one_key_creates_one_instruction(db: Database) -> None:
    actor, acc = _setup(db)
    _bill(db)
    first = _enter(db, actor, acc)
    again = _enter(db, actor, acc)
    assert again.replayed and again.instruction.id == first.instruction.id


def test_agency_cancellation_returns_the_money_once(db: Database) -> None:
    actor, acc = _setup(db)
    bill_id = _bill(db)
    done = _confirm(db, actor, _enter(db, actor, acc))
    balance, settlement, entries = _money(db, acc)
    for _ in range(2):  # the agency's retry changes nothing
        view = db.run(lambda s: payeasy.agency_cancel(
            s, agency_code=AGENCY, customer_number="1001", reason="二重請求"))
        assert view.state == "cancelled"
    assert _money(db, acc) == (balance + 8_640, settlement - 8_640, entries + 1)
    with db.transaction() as s:
        inst = s.get(Instruction, done.id)
        assert inst is not None and inst.status is InstructionStatus.RETURNED
        assert inst.reason_code == "CANCELLED_BY_AGENCY"
        bill = s.get(PayEasyBill, bill_id)
        assert bill is not None and bill.refund_entry_id is not None


def test_agency_cancellation_to_a_closed_account_goes_to_suspense(db: Database) -> None:
    actor, acc = _setup(db)
    _bill(db)
    _confirm(db, actor, _enter(db, actor, acc))
    with db.transaction() as s:
        change_state(s, acc, AccountState.CLOSED, actor="test", reason="closed")
        suspense_before = s.get(Account, book(s, "suspense")).balance  # type: ignore[union-attr]
    db.run(lambda s: payeasy.agency_cancel(s, agency_code=AGENCY, customer_number="1001",
                                           reason="取消"))
    with db.transaction() as s:
        assert s.get(Account, book(s, "suspense")).balance == suspense_before + 8_640  # type: ignore[union-attr]
        assert s.get(Account, acc).balance == 100_000 - 8_640  # type: ignore[union-attr]


def test_demo_seed_has_payable_overdue_and_cancelled_bills(db: Database) -> None:
    actor, acc = _setup(db)
    ids: dict[str, int] = {}
    with db.transaction() as s:
        seed_demo(s, ids)
    assert {key for key, *_ in BILLS} <= ids.keys()
    assert _state(db, ids["bill_withdrawn"]) is BillState.CANCELLED
    agencies = db.run(payeasy.list_agencies)
    assert len(agencies) == 4
    _, agency, number, confirmation, amount, *_ = BILLS[0]
    quote = db.run(lambda s: payeasy.enter(s, actor, key="demo", from_account_id=acc,
                                           agency_code=agency, customer_number=number,
                                           confirmation_number=confirmation))
    assert quote.instruction.amount == amount
    with pytest.raises(BillOverdue):
        _, agency, number, confirmation, *_ = BILLS[4]
        db.run(lambda s: payeasy.enter(s, actor, key="demo2", from_account_id=acc,
                                       agency_code=agency, customer_number=number,
                                       confirmation_number=confirmation))
