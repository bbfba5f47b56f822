"""Time deposit use cases (TD-1, 003 第三条1) on the two-step instruction lifecycle (INS-1).

Opening (kind ``time_deposit``): enter shows the term, start and maturity dates, the contract
rate and the interest expected at maturity; confirming with step-up opens a TIME account
(the next free number of the branch's time deposit series) and moves the principal into it
in one journal entry. An instruction made after the day's handling time starts on the next
business day (INS-3, 003 第三条3): the money moves at confirmation, interest runs from the
start date.

Maturity: the batch pays principal + net interest to the ordinary account on the maturity
date's morning (the next business day if the bank is closed), closes the TIME account, and
does so exactly once.

Early cancellation (中途解約, kind ``time_deposit_cancel``): enter shows the interest at the
early-cancellation rate and the tax; confirming pays exactly the figures shown.

Every payout is one entry: the time account is emptied, the payout account gets principal +
net interest, the interest expense book pays the gross interest and the withheld tax goes to
the tax book (rules.py has the arithmetic and the rounding rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.service import record
from kinko.calendar import get_calendar
from kinko.corporate import entitlements
from kinko.deposits import notices as _notices  # noqa: F401 - registers templates
from kinko.deposits import repository as repo
from kinko.deposits import rules
from kinko.deposits.errors import (
    DepositMaturing,
    DepositNotActive,
    DepositNotFound,
    NumbersExhausted,
)
from kinko.deposits.models import DepositState, TimeDeposit
from kinko.instructions import service as instructions
from kinko.instructions.errors import InstructionNotFound
from kinko.instructions.models import Instruction, InstructionStatus
from kinko.instructions.service import Actor, StepUpProof
from kinko.ledger.books import book
from kinko.ledger.errors import AccountExists, AccountNotFound, AccountNotUsable
from kinko.ledger.models import Account, AccountState, AccountType
from kinko.ledger.rules import CREDITABLE, DEBITABLE, Leg
from kinko.ledger.service import EntryRequest, PostedEntry, change_state, open_account, post
from kinko.money import parse_yen
from kinko.outbox.service import enqueue, handler
from kinko.parties.residency import check_allowed, resident_on
from kinko.policy import policy_at

OPEN_KIND = "time_deposit"
CANCEL_KIND = "time_deposit_cancel"
MATURE_TOPIC = "deposits.mature"
MATURITY_RUN_TIME = time(9, 0)
"""The morning batch time at which matured deposits are paid out."""
_NUMBER_ATTEMPTS = 20


@dataclass(frozen=True)
class Quote:
    instruction: Instruction
    details: dict[str, Any]
    replayed: bool


# --- reading --------------------------------------------------------------------------------

def _own_deposit(session: Session, actor: Actor, deposit_id: int, *,
                 lock: bool = False) -> TimeDeposit:
    found = repo.deposit(session, deposit_id, lock=lock)
    if found is None or found.customer_id != actor.customer_id:
        raise DepositNotFound(detail=str(deposit_id))
    return found


def list_deposits(session: Session, actor: Actor) -> list[TimeDeposit]:
    """The customer's time deposits, newest first (active, matured and cancelled)."""
    entitlements.require_retail(session, actor, what="time deposits")
    return repo.deposits_of(session, actor.customer_id)


def get_deposit(session: Session, actor: Actor, deposit_id: int) -> TimeDeposit:
    return _own_deposit(session, actor, deposit_id)


def _ordinary_account(session: Session, actor: Actor, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None or account.customer_id != actor.customer_id \
            or account.type is not AccountType.ORDINARY:
        raise AccountNotFound(detail=f"ordinary account {account_id}")
    if account.state not in DEBITABLE or account.state not in CREDITABLE:
        # SUSP-1: the principal and interest come back to this account, so it must be usable
        # both ways when the deposit is opened.
        raise AccountNotUsable(detail=f"{account.branch_code}-{account.number}: "
                                      f"{account.state.value}")
    return account


# --- opening -------------------------------------------------------------------------------

def enter_opening(session: Session, actor: Actor, *, key: str, from_account_id: int,
                  amount: Any, term_months: int) -> Quote:
    """Enter a time deposit: check, fix the dates and the rate, show the expected interest."""
    amount = rules.check_principal(parse_yen(amount))
    now = clock.now()
    policy = policy_at(now)
    entitlements.require_retail(session, actor, what="time deposits")
    term = rules.check_term(term_months, policy.deposits.time_deposit_terms_months)
    check_allowed(session, actor.customer_id, OPEN_KIND)
    source = _ordinary_account(session, actor, from_account_id)
    # 003 第三条3: after the handling time the instruction counts from the next business day;
    # the policy's same-day cutoff is the bank's one handling time for instructions.
    start = get_calendar(now).processing_date(now, policy.transfers.same_day_cutoff)
    maturity = rules.add_months(start, term)
    rate = policy.deposits.time_deposit_annual_rate_per_100k
    expected = rules.interest(amount, rate, start, maturity,
                              tax_rate_per_100k=policy.deposits.withholding_tax_rate_per_100k,
                              resident=resident_on(session, actor.customer_id, now.date()))
    details = {
        "from": {"account_id": source.id, "branch": source.branch_code,
                 "number": source.number, "holder": source.holder_kana},
        "amount": amount, "term_months": term, "start_date": start.isoformat(),
        "maturity_date": maturity.isoformat(), "annual_rate_per_100k": rate,
        "expected": {"days": expected.days, "gross_interest": expected.gross,
                     "national_tax": expected.national_tax, "local_tax": expected.local_tax,
                     "net_interest": expected.net},
    }
    instruction, replayed = instructions.enter(
        session, actor, kind=OPEN_KIND, key=key, details=details, debit_account_id=source.id,
        amount=amount, fee=0, value_date=start)
    return Quote(instruction, instructions.details_of(instruction), replayed)


def _allocate_account(session: Session, branch_code: str, holder_kana: str,
                      customer_id: int, actor: str) -> Account:
    """Open the TIME account under the next free number of the branch's series.

    Two openings in one branch may pick the same number; the loser tries the next one. It
    learns it lost either from ``open_account``'s look-up (the winner committed between our
    read of the highest number and that look-up) or from the unique (branch, number) key
    (the winner has not committed yet) inside the savepoint.
    """
    tried = 0
    for _ in range(_NUMBER_ATTEMPTS):
        highest = repo.highest_number(session, branch_code, rules.TIME_NUMBER_FIRST,
                                      rules.TIME_NUMBER_LAST)
        used = None
        if highest is not None and highest >= rules.TIME_NUMBER_LAST:
            used = repo.numbers_in(session, branch_code, rules.TIME_NUMBER_FIRST,
                                   rules.TIME_NUMBER_LAST)
        candidate = rules.next_free_number(highest, used)
        if candidate is None:
            break
        # A concurrent opening's number may not be visible yet: never retry one we lost.
        if candidate <= tried:
            candidate = tried + 1
        if candidate > rules.TIME_NUMBER_LAST:
            break
        tried = candidate
        try:
            with session.begin_nested():
                return open_account(session, branch_code=branch_code, number=f"{candidate:07d}",
                                    account_type=AccountType.TIME, holder_kana=holder_kana,
                                    customer_id=customer_id, actor=actor)
        except (IntegrityError, AccountExists):
            continue
    raise NumbersExhausted(detail=branch_code)


def confirm_opening(session: Session, actor: Actor, instruction_id: int,
                    step_up: StepUpProof | None) -> Instruction:
    """Confirm with step-up: open the TIME account, move the principal, schedule maturity.
    A late confirmation voids the instruction (the caller commits, then ``raise_if_void``)."""
    if instructions.get_own(session, actor, instruction_id).kind != OPEN_KIND:
        raise InstructionNotFound(detail=f"{instruction_id} is not a time deposit opening")
    instruction = instructions.accept(session, actor, instruction_id, step_up)
    if instruction.status is not InstructionStatus.ACCEPTED:
        return instruction  # VOID
    details = instructions.details_of(instruction)
    source = session.get(Account, instruction.debit_account_id)
    if source is None:
        raise AccountNotFound(detail=f"account {instruction.debit_account_id}")
    account = _allocate_account(session, source.branch_code, source.holder_kana,
                                actor.customer_id, actor.label)
    start = date.fromisoformat(details["start_date"])
    maturity = date.fromisoformat(details["maturity_date"])
    posted = post(session, EntryRequest(
        kind=OPEN_KIND, memo=f"instruction {instruction.id}", value_date=start,
        idempotency_key=f"instruction:{instruction.id}",
        legs=[Leg(source.id, -instruction.amount, "ﾃｲｷﾖｷﾝ ｻｸｾｲ"),
              Leg(account.id, instruction.amount, "ｻｸｾｲ")],
    ), actor=actor.label)
    deposit = TimeDeposit(
        customer_id=actor.customer_id, account_id=account.id, payout_account_id=source.id,
        open_instruction_id=instruction.id, principal=instruction.amount,
        term_months=details["term_months"], annual_rate_per_100k=details["annual_rate_per_100k"],
        start_date=start, maturity_date=maturity, state=DepositState.ACTIVE,
        opened_at=clock.now(), paid_to_suspense=False)
    session.add(deposit)
    session.flush()
    payout_day = get_calendar(clock.now()).this_or_next_business_day(maturity)
    enqueue(session, MATURE_TOPIC, {"deposit_id": deposit.id},
            due_at=datetime.combine(payout_day, MATURITY_RUN_TIME, clock.JST),
            dedupe_key=f"{MATURE_TOPIC}:{deposit.id}")
    instructions.transition(session, instruction.id, frm=InstructionStatus.ACCEPTED,
                            to=InstructionStatus.EXECUTED, finished_at=clock.now(),
                            entry_id=posted.entry_id)
    record(session, actor=actor.label, action="time_deposit.opened",
           subject_type="time_deposit", subject_id=deposit.id,
           data={"account": account.id, "principal": instruction.amount,
                 "term_months": deposit.term_months, "rate": deposit.annual_rate_per_100k,
                 "maturity": maturity.isoformat()})
    _notify(session, instruction, "time_deposit.opened", deposit_id=deposit.id,
            maturity_date=maturity.isoformat())
    return instructions.get_own(session, actor, instruction_id)


# --- paying out ----------------------------------------------------------------------------

def _payout(session: Session, deposit: TimeDeposit, result: rules.Interest, *, kind: str,
            key: str, to_account_id: int, actor: str) -> PostedEntry:
    roles = {"time": deposit.account_id, "payee": to_account_id,
             "interest_expense": book(session, "interest_expense"),
             "tax_withheld": book(session, "tax_withheld")}
    text = {"time": "ｶｲﾔｸ", "payee": "ﾃｲｷﾖｷﾝ ｶｲﾔｸ", "interest_expense": "ﾃｲｷﾖｷﾝ ﾘｿｸ",
            "tax_withheld": "ﾘｿｸ ｹﾞﾝｾﾝ"}
    legs = [Leg(roles[role], amount, text[role])
            for role, amount in rules.payout_legs_amounts(deposit.principal, result).items()]
    return post(session, EntryRequest(kind=kind, legs=legs, memo=f"time deposit {deposit.id}",
                                      idempotency_key=key), actor=actor)


def _close_account(session: Session, deposit: TimeDeposit, day: date, actor: str,
                   reason: str) -> None:
    change_state(session, deposit.account_id, AccountState.CLOSED, actor=actor, reason=reason)
    repo.set_account_closed_on(session, deposit.account_id, day)


@handler(MATURE_TOPIC)
def mature(session: Session, payload: dict[str, Any]) -> None:
    """Maturity (TD-1): principal + net interest to the payout account, exactly once.

    If the payout account can no longer take credits (closed, deposit-stopped), the money goes
    to the suspense book (仮受金) for an operator, so the deposit still closes on its date.
    """
    deposit = repo.deposit(session, payload["deposit_id"], lock=True)
    if deposit is None or deposit.state is not DepositState.ACTIVE:
        return  # cancelled early, or paid by an earlier run
    now = clock.now()
    result = rules.interest(
        deposit.principal, deposit.annual_rate_per_100k, deposit.start_date,
        deposit.maturity_date,
        tax_rate_per_100k=policy_at(now).deposits.withholding_tax_rate_per_100k,
        resident=resident_on(session, deposit.customer_id, deposit.maturity_date))
    key = f"time_deposit.payout:{deposit.id}"
    to_suspense = False
    try:
        with session.begin_nested():
            posted = _payout(session, deposit, result, kind="time_deposit_mature", key=key,
                             to_account_id=deposit.payout_account_id, actor="system:batch")
    except (AccountNotUsable, AccountNotFound):
        to_suspense = True
        posted = _payout(session, deposit, result, kind="time_deposit_mature",
                         key=f"{key}:suspense", to_account_id=book(session, "suspense"),
                         actor="system:batch")
    if not repo.close(session, deposit.id, to=DepositState.MATURED, closed_on=now.date(),
                      applied_rate_per_100k=deposit.annual_rate_per_100k,
                      gross_interest=result.gross, national_tax=result.national_tax,
                      local_tax=result.local_tax, payout_entry_id=posted.entry_id,
                      paid_to_suspense=to_suspense):
        raise DepositNotActive(detail=str(deposit.id))  # pragma: no cover - row is locked
    _close_account(session, deposit, now.date(), "system:batch", "満期解約 / matured")
    record(session, actor="system:batch", action="time_deposit.matured",
           subject_type="time_deposit", subject_id=deposit.id,
           data={"gross": result.gross, "national_tax": result.national_tax,
                 "local_tax": result.local_tax, "net": result.net, "entry": posted.entry_id,
                 "to_suspense": to_suspense})
    instruction = session.get(Instruction, deposit.open_instruction_id)
    if instruction is not None:
        _notify(session, instruction, "time_deposit.matured", deposit_id=deposit.id,
                net_interest=result.net)


# --- early cancellation ----------------------------------------------------------------------

def enter_cancellation(session: Session, actor: Actor, *, key: str, deposit_id: int) -> Quote:
    """Enter a 中途解約: show the early-cancellation interest, the tax and the net payout."""
    now = clock.now()
    entitlements.require_retail(session, actor, what="time deposits")
    check_allowed(session, actor.customer_id, CANCEL_KIND)
    deposit = _own_deposit(session, actor, deposit_id)
    if deposit.state is not DepositState.ACTIVE:
        raise DepositNotActive(detail=deposit.state.value)
    if now.date() >= deposit.maturity_date:
        raise DepositMaturing(detail=deposit.maturity_date.isoformat())
    rate = rules.early_cancellation_rate(
        deposit.annual_rate_per_100k, policy_at(now).deposits.early_cancellation_rate_per_100k)
    result = rules.interest(
        deposit.principal, rate, deposit.start_date, now.date(),
        tax_rate_per_100k=policy_at(now).deposits.withholding_tax_rate_per_100k,
        resident=resident_on(session, actor.customer_id, now.date()))
    details = {
        "deposit_id": deposit.id, "account_id": deposit.account_id,
        "payout_account_id": deposit.payout_account_id, "principal": deposit.principal,
        "start_date": deposit.start_date.isoformat(), "as_of": now.date().isoformat(),
        "maturity_date": deposit.maturity_date.isoformat(),
        "contract_rate_per_100k": deposit.annual_rate_per_100k,
        "applied_rate_per_100k": rate, "days": result.days, "gross_interest": result.gross,
        "national_tax": result.national_tax, "local_tax": result.local_tax,
        "net_interest": result.net, "payout": deposit.principal + result.net,
    }
    instruction, replayed = instructions.enter(
        session, actor, kind=CANCEL_KIND, key=key, details=details,
        debit_account_id=deposit.account_id, amount=deposit.principal, fee=0,
        value_date=now.date())
    return Quote(instruction, instructions.details_of(instruction), replayed)


def confirm_cancellation(session: Session, actor: Actor, instruction_id: int,
                         step_up: StepUpProof | None) -> Instruction:
    """Confirm with step-up: pay exactly the figures shown and close the deposit."""
    if instructions.get_own(session, actor, instruction_id).kind != CANCEL_KIND:
        raise InstructionNotFound(detail=f"{instruction_id} is not a time deposit cancellation")
    instruction = instructions.accept(session, actor, instruction_id, step_up)
    if instruction.status is not InstructionStatus.ACCEPTED:
        return instruction  # VOID
    details = instructions.details_of(instruction)
    # Lock the deposit: the maturity batch racing this confirmation waits, then finds it done.
    deposit = _own_deposit(session, actor, details["deposit_id"], lock=True)
    if deposit.state is not DepositState.ACTIVE:
        raise DepositNotActive(detail=deposit.state.value)
    result = rules.Interest(details["days"], details["gross_interest"],
                            details["national_tax"], details["local_tax"])
    posted = _payout(session, deposit, result, kind=CANCEL_KIND,
                     key=f"instruction:{instruction.id}",
                     to_account_id=deposit.payout_account_id, actor=actor.label)
    today = clock.today()
    if not repo.close(session, deposit.id, to=DepositState.CANCELLED, closed_on=today,
                      close_instruction_id=instruction.id,
                      applied_rate_per_100k=details["applied_rate_per_100k"],
                      gross_interest=result.gross, national_tax=result.national_tax,
                      local_tax=result.local_tax, payout_entry_id=posted.entry_id):
        raise DepositNotActive(detail=str(deposit.id))  # pragma: no cover - row is locked
    _close_account(session, deposit, today, actor.label, "中途解約 / cancelled early")
    instructions.transition(session, instruction.id, frm=InstructionStatus.ACCEPTED,
                            to=InstructionStatus.EXECUTED, finished_at=clock.now(),
                            entry_id=posted.entry_id)
    record(session, actor=actor.label, action="time_deposit.cancelled",
           subject_type="time_deposit", subject_id=deposit.id,
           data={"gross": result.gross, "tax": result.tax, "entry": posted.entry_id})
    _notify(session, instruction, "time_deposit.cancelled", deposit_id=deposit.id,
            net_interest=result.net)
    return instructions.get_own(session, actor, instruction_id)


def reference(instruction_id: int) -> str:
    """The reference (受付番号) shown to the customer for a time deposit instruction."""
    return f"D{instruction_id:010d}"


def _notify(session: Session, instruction: Instruction, template: str, **data: Any) -> None:
    from kinko.auth.effects import notify
    from kinko.auth.models import AuthUser

    user = session.get(AuthUser, instruction.user_id)
    if user is not None:
        notify(session, user, template, dedupe_key=f"{template}:{instruction.id}",
               reference=reference(instruction.id), amount=instruction.amount, **data)
