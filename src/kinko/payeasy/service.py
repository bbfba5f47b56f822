"""Pay-easy use cases (PAY-1, 002 第5条3) on the two-step instruction lifecycle (INS-1).

Enter: the bank looks the bill up with the agency (here: the simulated agency's table) and
shows it — agency, payee, amount, due date. Confirm with step-up: the Pay-easy daily limit is
taken (its own limit, 002 第5条3(3)), the bill is marked paid by a conditional UPDATE
(exactly once, even when many payers race) and one journal entry debits the payer and credits
the Pay-easy settlement book. There is no receipt (第5条3(5)) and no cancellation by the
customer after confirmation (第5条3(6)); the agency may cancel, which returns the money.

Every failure at confirmation raises and so rolls back the whole transaction: the limit, the
bill and the instruction are all left as they were.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.service import record
from kinko.corporate import entitlements
from kinko.corporate.rules import Service
from kinko.instructions import service as instructions
from kinko.instructions.errors import InstructionNotFound
from kinko.instructions.models import Instruction, InstructionStatus
from kinko.instructions.service import Actor, StepUpProof
from kinko.ledger.books import book
from kinko.ledger.errors import AccountNotFound, AccountNotUsable
from kinko.ledger.models import Account, AccountType
from kinko.ledger.rules import DEBITABLE, Leg
from kinko.ledger.service import EntryRequest, PostedEntry, post
from kinko.parties.residency import check_allowed
from kinko.payeasy import notices as _notices  # noqa: F401 - registers templates
from kinko.payeasy import repository as repo
from kinko.payeasy import rules
from kinko.payeasy.errors import (
    BillNotFound,
    InvalidBill,
    LimitExceeded,
    UnknownAgency,
)
from kinko.payeasy.models import BillState, PayEasyAgency, PayEasyBill
from kinko.policy import policy_at
from kinko.transfers import repository as limits

KIND = "payeasy"
SYSTEM_AGENCY = "system:payeasy-agency"


@dataclass(frozen=True)
class AgencyView:
    code: str
    name: str


@dataclass(frozen=True)
class BillView:
    """What the bank shows before confirmation (PAY-1: the agency's details are checked)."""

    id: int
    agency_code: str
    agency_name: str
    customer_number: str
    payee_name: str
    description: str
    amount: int
    due_date: date
    state: str


@dataclass(frozen=True)
class Quote:
    instruction: Instruction
    details: dict[str, Any]
    replayed: bool


def _view(bill: PayEasyBill, agency: PayEasyAgency) -> BillView:
    return BillView(bill.id, agency.code, agency.name, bill.customer_number, bill.payee_name,
                    bill.description, bill.amount, bill.due_date, bill.state.value)


def limit_scope(contract_id: int) -> str:
    """The Pay-easy daily limit is per contract, apart from the transfer limits."""
    return f"payeasy:{contract_id}"


def list_agencies(session: Session) -> list[AgencyView]:
    return [AgencyView(a.code, a.name) for a in repo.agencies(session)]


def _find(session: Session, codes: rules.BillCodes) -> tuple[PayEasyBill, PayEasyAgency]:
    agency = repo.agency(session, codes.agency_code)
    if agency is None or not agency.active:
        raise UnknownAgency(detail=codes.agency_code)
    bill = repo.bill_by_number(session, codes.agency_code, codes.customer_number)
    # Unknown customer number and wrong confirmation number give the same answer, so the
    # lookup cannot be used to learn which customer numbers exist.
    if bill is None or not hmac.compare_digest(bill.confirmation_number.encode(),
                                               codes.confirmation_number.encode()):
        raise BillNotFound
    return bill, agency


def lookup_bill(session: Session, *, agency_code: str, customer_number: str,
                confirmation_number: str) -> BillView:
    """The bill behind the three numbers, payable or not (its state says which)."""
    bill, agency = _find(session, rules.parse_codes(agency_code, customer_number,
                                                    confirmation_number))
    return _view(bill, agency)


def _own_account(session: Session, actor: Actor, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None or account.customer_id != actor.customer_id \
            or account.type not in (AccountType.ORDINARY, AccountType.CHECKING):
        raise AccountNotFound(detail=f"account {account_id}")
    if account.state not in DEBITABLE:  # SUSP-1: a stopped account stops its services
        raise AccountNotUsable(detail=f"{account.branch_code}-{account.number}: "
                                      f"{account.state.value}")
    entitlements.check(session, actor, Service.PAYEASY, account_id=account.id)
    return account


def enter(session: Session, actor: Actor, *, key: str, from_account_id: int,
          agency_code: str, customer_number: str, confirmation_number: str) -> Quote:
    """Enter a payment: check the codes, the bill, the account and the limit; show the bill."""
    now = clock.now()
    policy = policy_at(now)
    check_allowed(session, actor.customer_id, "payeasy")
    codes = rules.parse_codes(agency_code, customer_number, confirmation_number)
    source = _own_account(session, actor, from_account_id)
    bill, agency = _find(session, codes)
    rules.check_payable(bill.state, bill.due_date, now.date())
    daily = policy.pay_easy.daily_limit
    # An early, friendly refusal; the binding check is the conditional UPDATE at confirmation.
    if not rules.within_daily_limit(limits.used(session, limit_scope(actor.contract_id),
                                                now.date()), bill.amount, daily):
        raise LimitExceeded(detail=f"daily limit {daily:,}")
    details = {
        "agency": {"code": agency.code, "name": agency.name, "kana": agency.name_kana},
        "bill": {"id": bill.id, "customer_number": bill.customer_number,
                 "payee_name": bill.payee_name, "description": bill.description,
                 "due_date": bill.due_date.isoformat()},
        "from": {"account_id": source.id, "branch": source.branch_code,
                 "number": source.number, "holder": source.holder_kana},
        "amount": bill.amount, "fee": 0, "daily_limit": daily,
        "limit_day": now.date().isoformat(),
    }
    instruction, replayed = instructions.enter(
        session, actor, kind=KIND, key=key, details=details, debit_account_id=source.id,
        amount=bill.amount, fee=0, value_date=now.date())
    return Quote(instruction, instructions.details_of(instruction), replayed)


def confirm(session: Session, actor: Actor, instruction_id: int,
            step_up: StepUpProof | None) -> Instruction:
    """Confirm with step-up and pay now. A late confirmation voids the instruction (the
    caller commits, then ``raise_if_void``)."""
    entitlements.check(session, actor, Service.PAYEASY)
    if instructions.get_own(session, actor, instruction_id).kind != KIND:
        raise InstructionNotFound(detail=f"{instruction_id} is not a Pay-easy payment")
    instruction = instructions.accept(session, actor, instruction_id, step_up)
    if instruction.status is not InstructionStatus.ACCEPTED:
        return instruction  # VOID
    details = instructions.details_of(instruction)
    now = clock.now()
    limit_day = date.fromisoformat(details["limit_day"])
    if not limits.take(session, limit_scope(actor.contract_id), limit_day, instruction.amount,
                       details["daily_limit"]):
        raise LimitExceeded(detail=f"daily limit {details['daily_limit']:,}")
    bill_id: int = details["bill"]["id"]
    if not repo.mark_paid(session, bill_id, amount=instruction.amount, today=now.date(),
                          instruction_id=instruction.id,
                          account_id=instruction.debit_account_id, at=now):
        bill = repo.bill(session, bill_id)
        if bill is None or bill.amount != instruction.amount:
            raise BillNotFound(detail="the bill changed at the agency")
        rules.check_payable(bill.state, bill.due_date, now.date())
        raise BillNotFound(detail="not payable")  # pragma: no cover - check_payable raised
    agency_kana: str = details["agency"]["kana"]
    posted = post(session, EntryRequest(
        kind=KIND, memo=f"instruction {instruction.id}", value_date=instruction.value_date,
        idempotency_key=f"instruction:{instruction.id}",
        legs=[Leg(instruction.debit_account_id, -instruction.amount,
                  f"ﾍﾟｲｼﾞｰ {agency_kana}"[:48]),
              Leg(book(session, "payeasy_settlement"), instruction.amount,
                  f"ﾍﾟｲｼﾞｰ {details['agency']['code']} {details['bill']['customer_number']}")],
    ), actor=actor.label)
    repo.set_paid_entry(session, bill_id, posted.entry_id)
    instructions.transition(session, instruction.id, frm=InstructionStatus.ACCEPTED,
                            to=InstructionStatus.EXECUTED, finished_at=now,
                            entry_id=posted.entry_id)
    record(session, actor=actor.label, action="payeasy.paid", subject_type="payeasy_bill",
           subject_id=bill_id, data={"instruction": instruction.id, "amount":
                                     instruction.amount, "entry": posted.entry_id})
    _notify(session, instruction, "payeasy.paid",
            payee=f"{details['agency']['name']} {details['bill']['payee_name']}")
    return instructions.get_own(session, actor, instruction_id)


# --- the agency's side --------------------------------------------------------------------

def register_agency(session: Session, *, code: str, name: str, name_kana: str,
                    actor: str) -> PayEasyAgency:
    """Add a collection agency the bank serves (当行所定の収納機関)."""
    parsed = rules.agency_code(code)
    if not 0 < len(name) <= 60 or not 0 < len(name_kana) <= 30:
        raise InvalidBill(detail="agency name 1–60 and kana 1–30 characters")
    existing = repo.agency(session, parsed)
    if existing is not None:
        return existing
    agency = PayEasyAgency(code=parsed, name=name, name_kana=name_kana, active=True)
    session.add(agency)
    session.flush()
    record(session, actor=actor, action="payeasy.agency.registered",
           subject_type="payeasy_agency", subject_id=parsed, data={"name": name})
    return agency


def issue_bill(session: Session, *, agency_code: str, customer_number: str,
               confirmation_number: str, amount: int, due_date: date, payee_name: str,
               description: str = "", actor: str = SYSTEM_AGENCY) -> PayEasyBill:
    """The simulated agency issues a bill (what a real agency's system would hold)."""
    codes = rules.parse_codes(agency_code, customer_number, confirmation_number)
    if repo.agency(session, codes.agency_code) is None:
        raise UnknownAgency(detail=codes.agency_code)
    if type(amount) is not int or amount <= 0:
        raise InvalidBill(detail=f"amount {amount!r}")
    if not 0 < len(payee_name) <= 60 or len(description) > 100:
        raise InvalidBill(detail="payee name 1–60, description up to 100 characters")
    if repo.bill_by_number(session, codes.agency_code, codes.customer_number) is not None:
        raise InvalidBill(detail=f"customer number {codes.customer_number} already billed")
    bill = PayEasyBill(agency_code=codes.agency_code, customer_number=codes.customer_number,
                       confirmation_number=codes.confirmation_number, amount=amount,
                       due_date=due_date, payee_name=payee_name, description=description,
                       state=BillState.UNPAID, issued_at=clock.now())
    session.add(bill)
    session.flush()
    record(session, actor=actor, action="payeasy.bill.issued", subject_type="payeasy_bill",
           subject_id=bill.id, data={"agency": codes.agency_code, "amount": amount})
    return bill


def agency_cancel(session: Session, *, agency_code: str, customer_number: str, reason: str,
                  actor: str = SYSTEM_AGENCY) -> BillView:
    """The agency cancels a bill (002 第5条3(6)). A paid bill's money goes back to the
    paying account — or, if that account can no longer take credits, to the suspense book
    (仮受金) for an operator to pay out — and its instruction is marked returned."""
    code, number = rules.agency_code(agency_code), rules.customer_number(customer_number)
    if not 0 < len(reason) <= 200:
        raise InvalidBill(detail="reason 1–200 characters")
    agency = repo.agency(session, code)
    if agency is None:
        raise UnknownAgency(detail=code)
    # Lock the bill: a payment racing the cancellation waits, then finds it cancelled.
    bill = repo.bill_by_number(session, code, number, lock=True)
    if bill is None:
        raise BillNotFound
    if bill.state is BillState.CANCELLED:
        return _view(bill, agency)  # the agency's retry: nothing to do twice
    was = bill.state
    now = clock.now()
    if not repo.mark_cancelled(session, bill.id, frm=was, at=now, reason=reason):
        raise BillNotFound(detail="changed concurrently")  # pragma: no cover - row is locked
    refund: PostedEntry | None = None
    if was is BillState.PAID:
        assert bill.paid_account_id is not None and bill.paid_instruction_id is not None
        refund = _refund(session, bill, agency, actor)
        repo.set_refund_entry(session, bill.id, refund.entry_id)
        instructions.transition(session, bill.paid_instruction_id,
                                frm=InstructionStatus.EXECUTED, to=InstructionStatus.RETURNED,
                                reason_code="CANCELLED_BY_AGENCY",
                                reason=f"収納機関による取消 / cancelled by the agency: {reason}")
        instruction = session.get(Instruction, bill.paid_instruction_id)
        if instruction is not None:
            _notify(session, instruction, "payeasy.cancelled_by_agency", reason=reason,
                    payee=f"{agency.name} {bill.payee_name}")
    record(session, actor=actor, action="payeasy.bill.cancelled", subject_type="payeasy_bill",
           subject_id=bill.id, data={"was": was.value, "reason": reason,
                                     "refund_entry": refund.entry_id if refund else None})
    session.expire_all()
    found = repo.bill(session, bill.id)
    assert found is not None
    return _view(found, agency)


def _refund(session: Session, bill: PayEasyBill, agency: PayEasyAgency,
            actor: str) -> PostedEntry:
    assert bill.paid_account_id is not None
    settlement = book(session, "payeasy_settlement")
    text = f"ﾍﾟｲｼﾞｰ ﾄﾘｹｼ {agency.name_kana}"[:48]
    try:
        with session.begin_nested():
            return post(session, EntryRequest(
                kind="payeasy_refund", memo=f"bill {bill.id} cancelled by the agency",
                idempotency_key=f"payeasy.refund:{bill.id}",
                legs=[Leg(settlement, -bill.amount, text),
                      Leg(bill.paid_account_id, bill.amount, text)],
            ), actor=actor)
    except (AccountNotUsable, AccountNotFound):
        return post(session, EntryRequest(
            kind="payeasy_refund", memo=f"bill {bill.id} cancelled; payer account unusable",
            idempotency_key=f"payeasy.refund:{bill.id}:suspense",
            legs=[Leg(settlement, -bill.amount, text),
                  Leg(book(session, "suspense"), bill.amount, f"account {bill.paid_account_id}")],
        ), actor=actor)


def reference(instruction_id: int) -> str:
    """The reference (受付番号) shown to the customer for a Pay-easy payment."""
    return f"P{instruction_id:010d}"


def _notify(session: Session, instruction: Instruction, template: str, **data: Any) -> None:
    from kinko.auth.effects import notify
    from kinko.auth.models import AuthUser

    user = session.get(AuthUser, instruction.user_id)
    if user is not None:
        notify(session, user, template, dedupe_key=f"{template}:{instruction.id}",
               reference=reference(instruction.id), amount=instruction.amount, **data)
