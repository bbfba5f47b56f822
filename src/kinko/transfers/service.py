"""Transfer use cases (XFER-1..7) on the two-step instruction lifecycle (INS-1..3).

Money moves only through ``ledger.post``: the debit of the amount and the fee, and the credit
of the payee (this bank), or of the clearing book (other banks, then sent through the
clearing adapter's outbox). Limits are taken with conditional UPDATEs at confirmation, so
concurrent confirmations can never exceed a daily limit together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.service import record
from kinko.calendar import get_calendar
from kinko.config import get_settings
from kinko.corporate import entitlements
from kinko.corporate.models import UserGrant
from kinko.corporate.rules import Service
from kinko.idempotency.service import store
from kinko.instructions import service as instructions
from kinko.instructions.drafts import check_funds
from kinko.instructions.errors import InstructionNotOpen, NotCancellable
from kinko.instructions.models import Instruction, InstructionStatus
from kinko.instructions.service import Actor, StepUpProof
from kinko.ledger import repository as ledger_repo
from kinko.ledger.books import book
from kinko.ledger.errors import AccountNotFound, AccountNotUsable, InsufficientFunds
from kinko.ledger.models import Account, AccountType
from kinko.ledger.rules import DEBITABLE, Leg
from kinko.ledger.service import EntryRequest, post
from kinko.money import parse_yen
from kinko.outbox.service import enqueue, handler
from kinko.parties.models import Branch
from kinko.parties.residency import check_allowed
from kinko.policy import Policy, policy_at
from kinko.transfers import repository as repo
from kinko.transfers import rules
from kinko.transfers.errors import (
    InvalidPayee,
    LimitExceeded,
    PayeeAccountNotFound,
    SameAccount,
)
from kinko.transfers.models import Payee, TransferLimit

EXECUTE_TOPIC = "transfers.execute"
RETURNED_TOPIC = "transfers.returned"
KIND = "transfer"
# In an instruction's details: the id of the payee's account at this bank, found at entry so
# that the confirmation need not look it up again (internal: never shown).
CREDIT_ACCOUNT = instructions.CREDIT_ACCOUNT


@dataclass(frozen=True)
class PayeeView:
    bank_code: str
    bank_name: str
    branch_code: str
    branch_name: str
    account_type: str
    number: str
    holder_kana: str
    own_bank: bool


def _own_account(session: Session, actor: Actor, account_id: int) -> Account:
    """An account of the actor's own customer; any other account is simply not found."""
    account = session.get(Account, account_id)
    if account is None or account.customer_id != actor.customer_id:
        raise AccountNotFound(detail=f"account {account_id}")
    # PRD-2..4: the course has 振込・振替 (D), the user was granted it and the account.
    entitlements.check(session, actor, Service.TRANSFER, account_id=account.id)
    return account


def payees_of(session: Session, actor: Actor) -> list[Payee]:
    """The contract's registered payees, for a user who may transfer (D)."""
    entitlements.check(session, actor, Service.TRANSFER)
    return repo.payees(session, actor.contract_id)


def lookup_payee(session: Session, *, bank_code: str, branch_code: str, account_type: str,
                 number: str) -> PayeeView:
    """口座名義確認 (XFER-2): the holder's name, from this bank's ledger or the network."""
    return _lookup_payee(session, bank_code=bank_code, branch_code=branch_code,
                         account_type=account_type, number=number)[0]


def _lookup_payee(session: Session, *, bank_code: str, branch_code: str, account_type: str,
                  number: str, read: tuple[Branch | None, Account | None] | None = None,
                  ) -> tuple[PayeeView, int | None]:
    """:func:`lookup_payee`, with the id of the payee's account when it is at this bank.
    ``read``: that branch and account, already read with a registered payee."""
    rules.check_payee_fields(bank_code, branch_code, account_type, number)
    settings = get_settings()
    if bank_code == settings.bank_code:
        if read is None:
            # The branch and the account in one statement (no account without its branch).
            found = session.execute(_OWN_BANK_PAYEE, {"branch_code": branch_code,
                                                      "number": number}).one_or_none()
            read = (None, None) if found is None else (found[0], found[1])
        branch, account = read
        if (branch is None or account is None or account.type.value != account_type
                or account.type is AccountType.INTERNAL):
            raise PayeeAccountNotFound(detail=f"{bank_code}-{branch_code}-{number}")
        return PayeeView(bank_code, settings.bank_name, branch_code, branch.name, account_type,
                         number, account.holder_kana, own_bank=True), account.id
    from kinko.clearing import service as clearing

    where = clearing.validate_bank_branch(bank_code, branch_code)
    holder = clearing.lookup_holder(session, bank_code, branch_code, account_type, number)
    if holder is None:
        raise PayeeAccountNotFound(detail=f"{bank_code}-{branch_code}-{number}")
    return PayeeView(bank_code, where.bank_name, branch_code, where.branch_name, account_type,
                     number, holder, own_bank=False), None


# Built once: the statement's construction and cache key had cost more than its answer.
_OWN_BANK_PAYEE = (select(Branch, Account).join(Account, Account.branch_code == Branch.code)
                   .where(Branch.code == bindparam("branch_code"),
                          Account.number == bindparam("number")))


def register_payee(session: Session, actor: Actor, *, bank_code: str, branch_code: str,
                   account_type: str, number: str, nickname: str = "") -> Payee:
    """事前登録 (XFER-2): looked up first, so a registered payee always has a real name."""
    entitlements.check(session, actor, Service.TRANSFER)
    if len(nickname) > 60:
        raise InvalidPayee(detail="nickname longer than 60 characters")
    view = lookup_payee(session, bank_code=bank_code, branch_code=branch_code,
                        account_type=account_type, number=number)
    existing = repo.find_payee(session, actor.contract_id, bank_code, branch_code, account_type,
                               number)
    if existing is not None:
        return existing
    payee = Payee(contract_id=actor.contract_id, bank_code=bank_code, branch_code=branch_code,
                  account_type=account_type, number=number, holder_kana=view.holder_kana,
                  nickname=nickname, created_at=clock.now())
    session.add(payee)
    session.flush()
    record(session, actor=actor.label, action="payee.registered", subject_type="payee",
           subject_id=payee.id, data={"bank": bank_code, "branch": branch_code})
    return payee


# --- limits ----------------------------------------------------------------------------

def _is_corporate(session: Session, actor: Actor) -> bool:
    from kinko.auth.models import AuthContract, Product

    contract = session.get(AuthContract, actor.contract_id)
    return contract is not None and contract.product is Product.CORPORATE_002


def _bank_limits(policy: Policy, *, corporate: bool) -> rules.Limits:
    t = policy.transfers
    if corporate:
        return rules.Limits(t.corporate_per_transaction_limit, t.corporate_daily_limit)
    return rules.Limits(t.retail_per_transaction_limit, t.retail_daily_limit)


def bank_limits(session: Session, actor: Actor, policy: Policy) -> rules.Limits:
    return _bank_limits(policy, corporate=_is_corporate(session, actor))


def limits_for(session: Session, actor: Actor, policy: Policy, *,
               chosen: tuple[rules.Limits | None, rules.Limits | None] | None = None,
               ) -> rules.Limits:
    """The limits in force for ``actor``; ``chosen``: the contract's and the user's chosen
    limits, already read (with a registered payee)."""
    # The contract is in the identity map (the request's authentication loaded it); user
    # grants exist only on the business net (PRD-4), so a retail user's are never read.
    corporate = _is_corporate(session, actor)
    contract, user = chosen or repo.chosen_limits_of(session, actor.contract_id, actor.user_id)
    return rules.effective_limits(_bank_limits(policy, corporate=corporate), contract, user,
                                  _granted_limits(session, actor) if corporate else None)


def _granted_limits(session: Session, actor: Actor) -> rules.Limits | None:
    """The limits the master or an admin user set for this user (PRD-4), if any."""
    grant = session.get(UserGrant, actor.user_id)
    if grant is None or grant.per_transaction_limit is None or grant.daily_limit is None:
        return None
    return rules.Limits(grant.per_transaction_limit, grant.daily_limit)


@dataclass(frozen=True)
class LimitChange:
    """A requested change of limits, checked and not yet made: what the step-up binds to."""

    limits: rules.Limits
    for_user: bool
    digest: str
    raises: bool  # only a raise needs the step-up (XFER-6)


def request_limits(session: Session, actor: Actor, *, per_transaction: int, daily: int,
                   for_user: bool) -> LimitChange:
    """Step 1 of a limit change (XFER-6): check who asks and the bank's maximum, and name the
    change that the product's step-up (AUTH-3) must then confirm."""
    from kinko.auth.roles import require_manager

    # PRD-4: contract-wide limits and per-user limits are set by the master or admin users.
    require_manager(session, actor, what="transfer limits")
    new = rules.Limits(per_transaction, daily)
    bank = bank_limits(session, actor, policy_at(clock.now()))
    rules.check_new_limits(new, bank)
    user_id = actor.user_id if for_user else None
    current = rules.effective_limits(bank, repo.chosen_limits(session, actor.contract_id, user_id))
    return LimitChange(new, for_user, limits_digest(new, for_user=for_user),
                       raises=rules.is_raise(new, current))


def set_limits(session: Session, actor: Actor, *, per_transaction: int, daily: int,
               for_user: bool, step_up: StepUpProof | None) -> rules.Limits:
    """Step 2 (XFER-6, AUTH-3): a raise is made only with a step-up for exactly this change;
    a lowering needs none; never above the bank's maximum."""
    change = request_limits(session, actor, per_transaction=per_transaction, daily=daily,
                            for_user=for_user)
    if change.raises and (step_up is None or step_up.user_id != actor.user_id
            or step_up.operation_digest != change.digest):
        from kinko.instructions.errors import StepUpRequired

        raise StepUpRequired(detail="changing a limit")
    user_id = actor.user_id if for_user else None
    row = repo.limit_row(session, actor.contract_id, user_id)
    if row is None:
        session.add(TransferLimit(contract_id=actor.contract_id, user_id=user_id,
                                  daily_limit=daily, per_transaction_limit=per_transaction,
                                  updated_at=clock.now()))
    else:
        row.daily_limit, row.per_transaction_limit = daily, per_transaction
        row.updated_at = clock.now()
    session.flush()
    record(session, actor=actor.label, action="transfer.limits", subject_type="contract",
           subject_id=actor.contract_id, data={"per_transaction": per_transaction,
                                               "daily": daily, "user": user_id})
    return change.limits


def limits_digest(new: rules.Limits, *, for_user: bool = False) -> str:
    return instructions.digest_of({"operation": "transfer.limits",
                                   "scope": "user" if for_user else "contract",
                                   "per_transaction": new.per_transaction, "daily": new.daily})


def _scopes(actor: Actor, details: dict[str, Any], policy: Policy) -> list[tuple[str, int]]:
    """The daily limits an instruction counts against, in a fixed (sorted) lock order."""
    limits = details["limits"]
    scopes = [(f"contract:{actor.contract_id}", limits["daily"]),
              (f"user:{actor.user_id}", limits["daily"])]
    if details["payee"].get("ad_hoc"):
        scopes.append((f"adhoc:{actor.contract_id}", policy.transfers.ad_hoc_payee_daily_limit))
    return sorted(scopes)


# --- entering and confirming ------------------------------------------------------------

@dataclass(frozen=True)
class Quote:
    """What the bank shows before confirmation (INS-1): the details and the deadline."""

    instruction: Instruction
    details: dict[str, Any]
    replayed: bool


def enter(session: Session, actor: Actor, *, key: str, from_account_id: int, amount: Any,
          payee_id: int | None = None, bank_code: str | None = None,
          branch_code: str | None = None, account_type: str | None = None,
          number: str | None = None, value_date: date | None = None,
          remitter_kana: str | None = None, edi: str | None = None) -> Quote:
    """Enter a transfer: check everything the bank can check now, fix the fee, show it."""
    amount = parse_yen(amount)
    now = clock.now()
    policy = policy_at(now)
    calendar = get_calendar(now)
    settings = get_settings()
    # A registered payee, with its branch and account when it is at this bank, the chosen
    # limits and the source account: one statement (checked below in the usual order).
    found = None if payee_id is None else repo.payee_with_account(
        session, actor.contract_id, actor.user_id, payee_id, settings.bank_code,
        source_account_id=from_account_id)
    source = _own_account(session, actor, from_account_id)
    check_allowed(session, actor.customer_id, "transfer")  # PRD-5: the bank may restrict
    if source.state not in DEBITABLE:  # SUSP-1: a stopped account stops its services
        raise AccountNotUsable(detail=f"{source.branch_code}-{source.number}: "
                                      f"{source.state.value}")
    read: tuple[Branch | None, Account | None] | None = None
    chosen: tuple[rules.Limits | None, rules.Limits | None] | None = None
    if payee_id is not None:
        if found is None:
            raise InvalidPayee(detail=f"payee {payee_id}")
        payee, read = found.payee, (found.branch, found.account)
        chosen = (found.contract_limits, found.user_limits)
        bank_code, branch_code = payee.bank_code, payee.branch_code
        account_type, number = payee.account_type, payee.number
    if None in (bank_code, branch_code, account_type, number):
        raise InvalidPayee(detail="give a registered payee or bank, branch, type and number")
    assert bank_code and branch_code and account_type and number
    view, credit_account = _lookup_payee(session, bank_code=bank_code, branch_code=branch_code,
                                         account_type=account_type, number=number, read=read)
    if view.own_bank and (branch_code, number) == (source.branch_code, source.number):
        raise SameAccount
    kind = rules.classify(own_bank_code=settings.bank_code, from_branch=source.branch_code,
                          from_holder=source.holder_kana, to_bank=bank_code,
                          to_branch=branch_code, to_holder=view.holder_kana)
    fee = policy.transfers.transfer_fee(kind.destination, amount) if kind.kind == "furikomi" \
        else 0
    processing = calendar.processing_date(now, policy.transfers.same_day_cutoff)
    value_date = value_date or processing
    rules.check_value_date(value_date, processing_date=processing, calendar=calendar,
                           max_business_days=policy.transfers.value_date_max_business_days)
    limits = limits_for(session, actor, policy, chosen=chosen)
    rules.check_per_transaction(amount, limits)
    if payee_id is None and amount > policy.transfers.ad_hoc_payee_daily_limit:
        raise LimitExceeded(detail=f"ad-hoc payee limit "
                                   f"{policy.transfers.ad_hoc_payee_daily_limit:,}")
    same_day = value_date == now.date()
    details = {
        "type": kind.kind,
        "from": {"account_id": source.id, "branch": source.branch_code,
                 "number": source.number, "holder": source.holder_kana},
        "payee": {"bank": bank_code, "bank_name": view.bank_name, "branch": branch_code,
                  "branch_name": view.branch_name, "account_type": account_type,
                  "number": number, "holder": view.holder_kana, "own_bank": view.own_bank,
                  "ad_hoc": payee_id is None},
        "amount": amount, "fee": fee, "value_date": value_date.isoformat(),
        "same_day": same_day, "remitter": remitter_kana or source.holder_kana,
        "edi": edi, "limits": {"per_transaction": limits.per_transaction,
                               "daily": limits.daily},
        "limit_day": processing.isoformat(),
    }
    if credit_account is not None:
        details[CREDIT_ACCOUNT] = credit_account
    instruction, replayed = instructions.enter(
        session, actor, kind=KIND, key=key, details=details, debit_account_id=source.id,
        amount=amount, fee=fee, value_date=value_date)
    if not replayed:
        # Issue 10: more than can be withdrawn today is refused at entry, on the page and in
        # the API alike (the raise takes the entry back), from the account read above. A
        # replay answers what the first entry answered.
        check_funds(session, instruction, same_day=same_day)
    return Quote(instruction, instructions.shown_details(instruction), replayed)


def check_entry(session: Session, actor: Actor, instruction: Instruction) -> None:
    """What confirmation would refuse, told before the confirmation screen: the day's limits
    left (the withdrawable amount of a same-day transfer :func:`enter` checked already).
    Confirmation checks again."""
    details = instructions.details_of(instruction)
    day = date.fromisoformat(details["limit_day"])
    for scope, limit in _scopes(actor, details, policy_at(instruction.entered_at)):
        if repo.used(session, scope, day) + instruction.amount > limit:
            raise LimitExceeded(detail=f"daily limit {limit:,} ({scope.split(':')[0]})")


def confirm(session: Session, actor: Actor, instruction_id: int,
            step_up: StepUpProof | None, *, loaded: Instruction | None = None,
            key: instructions.KeyRecord | None = None) -> Instruction:
    """Confirm with step-up; a same-day transfer is debited now, a future one is scheduled.

    A confirmation that fails (limits, funds, a stopped account) raises and so rolls back the
    whole transaction: the instruction stays entered and can be confirmed again before its
    deadline. A late confirmation voids the instruction (the caller commits, then reports).

    ``key``: the request's idempotency key, recorded with its answer (for a same-day
    transfer by the very UPDATE that executes the instruction).
    """
    instruction = _confirm(session, actor, instruction_id, step_up, loaded=loaded, key=key)
    if key is not None and instruction.status is not InstructionStatus.EXECUTED:
        store(session, scope=key.scope, key=key.key, payload=key.payload,
              result=key.answer(instruction))
    return instruction


def _confirm(session: Session, actor: Actor, instruction_id: int,
             step_up: StepUpProof | None, *, loaded: Instruction | None,
             key: instructions.KeyRecord | None) -> Instruction:
    # A grant withdrawn since entry; and APR-1: the approvals a business-net transfer awaits.
    waits = entitlements.transfer_approval(session, actor)
    if loaded is None or loaded.id != instruction_id:
        loaded = instructions.get_own(session, actor, instruction_id)
    details = instructions.details_of(loaded)
    # A same-day transfer goes from entered to executed in one UPDATE, after its posting
    # (``_execute``); a future-dated one, and one that waits for approvals, is accepted now
    # and executed later.
    same_day = bool(details["same_day"]) and waits is None
    instruction = instructions.accept(session, actor, instruction_id, step_up, loaded=loaded,
                                      defer=same_day)
    if instruction.status is InstructionStatus.VOID:
        return instruction
    policy = policy_at(instruction.entered_at)
    day = date.fromisoformat(details["limit_day"])
    scopes = _scopes(actor, details, policy)
    refused = repo.take_all(session, scopes, day, instruction.amount)
    if refused:
        limit = dict(scopes)[refused[0]]
        raise LimitExceeded(detail=f"daily limit {limit:,} ({refused[0].split(':')[0]})")
    if waits is not None:  # runs (or is scheduled) once approved; the business net only
        waits(session, actor, instruction, details)
    elif same_day:
        _execute(session, instruction, details, frm=InstructionStatus.ENTERED, key=key,
                 confirmed_at=clock.now())
    else:
        due = datetime.combine(instruction.value_date,
                               policy.transfers.future_dated_debit_time, clock.JST)
        enqueue(session, EXECUTE_TOPIC, {"instruction_id": instruction.id}, due_at=due,
                dedupe_key=f"{EXECUTE_TOPIC}:{instruction.id}")
    _notify(session, instruction, "transfer.confirmed")
    return instruction  # its state changes were put on it as they were made


def _legs(session: Session, instruction: Instruction, details: dict[str, Any]) -> list[Leg]:
    payee = details["payee"]
    memo_to = f"ﾌﾘｺﾐ {payee['holder']}"[:48]
    legs = [Leg(instruction.debit_account_id, -(instruction.amount + instruction.fee), memo_to)]
    if payee["own_bank"]:
        # The payee's account as the entry found it (instructions entered before it was kept
        # there look it up); the posting checks that it can still be credited.
        target_id = details.get(CREDIT_ACCOUNT)
        if target_id is None:
            target = ledger_repo.find_account(session, payee["branch"], payee["number"])
            if target is None:
                raise AccountNotFound(detail="payee account")
            target_id = target.id
        legs.append(Leg(target_id, instruction.amount, f"ﾌﾘｺﾐ {details['remitter']}"[:48]))
    else:
        legs.append(Leg(book(session, "clearing"), instruction.amount, memo_to))
    if instruction.fee:
        legs.append(Leg(book(session, "fee_income"), instruction.fee, "ﾌﾘｺﾐﾃｽｳﾘﾖｳ"))
    return legs


def _execute(session: Session, instruction: Instruction, details: dict[str, Any], *,
             frm: InstructionStatus = InstructionStatus.ACCEPTED,
             key: instructions.KeyRecord | None = None, **values: Any) -> None:
    """Debit now; raises the ledger's error (the caller decides what a failure means).

    ``frm``: the status the instruction must still have (ACCEPTED for the value-date run,
    which holds its row locked; ENTERED for a same-day confirmation, ``values`` then carrying
    ``confirmed_at``): if another request moved it first, this raises and the posting is
    undone with the rest of the caller's transaction."""
    posted = post(session, EntryRequest(
        kind=details["type"], legs=_legs(session, instruction, details),
        memo=f"instruction {instruction.id}", value_date=instruction.value_date,
        idempotency_key=f"instruction:{instruction.id}",
    ), actor=f"user:{instruction.user_id}")
    if not instructions.transition(session, instruction.id, frm=frm,
                                   to=InstructionStatus.EXECUTED, key=key,
                                   finished_at=clock.now(), entry_id=posted.entry_id,
                                   **values):
        raise InstructionNotOpen(detail="confirmed concurrently")
    if not details["payee"]["own_bank"]:
        from kinko.clearing import service as clearing

        payee = details["payee"]
        clearing.send_outgoing(
            session, transfer_ref=f"instruction:{instruction.id}", bank_code=payee["bank"],
            branch_code=payee["branch"], account_type=payee["account_type"],
            number=payee["number"], holder_kana=payee["holder"], amount=instruction.amount,
            remitter_kana=details["remitter"], edi=details.get("edi"))
    record(session, actor="system", action="transfer.executed", subject_type="instruction",
           subject_id=instruction.id, data={"entry": posted.entry_id})


def _release_limits(session: Session, instruction: Instruction, details: dict[str, Any]) -> None:
    actor = Actor(instruction.user_id, instruction.contract_id, instruction.customer_id)
    day = date.fromisoformat(details["limit_day"])
    for scope, _ in _scopes(actor, details, policy_at(instruction.entered_at)):
        repo.give_back(session, scope, day, instruction.amount)


_NOT_ESTABLISHED = {
    InsufficientFunds: ("INSUFFICIENT_FUNDS", "資金不足 / insufficient funds"),
    AccountNotUsable: ("ACCOUNT_NOT_USABLE",
                       "口座が利用できません（支払停止・解約等） / account stopped or closed"),
    AccountNotFound: ("PAYEE_ACCOUNT_NOT_FOUND",
                      "入金先口座が確認できません / the payee account cannot be credited"),
}


@handler(EXECUTE_TOPIC)
def execute_due(session: Session, payload: dict[str, Any]) -> None:
    """The value date has come (XFER-4): debit now, or record why it was not established."""
    instruction = session.get(Instruction, payload["instruction_id"], with_for_update=True)
    if instruction is None or instruction.status is not InstructionStatus.ACCEPTED:
        return  # cancelled, or already done by an earlier run
    details = instructions.details_of(instruction)
    try:
        with session.begin_nested():
            _execute(session, instruction, details)
    except (InsufficientFunds, AccountNotUsable, AccountNotFound) as exc:
        code, reason = _NOT_ESTABLISHED[type(exc)]
        session.expire_all()
        instruction = session.get(Instruction, payload["instruction_id"])
        assert instruction is not None
        instructions.not_established(session, instruction, code=code, reason=reason)
        _release_limits(session, instruction, details)
        _notify(session, instruction, "transfer.not_established", reason=reason)
        return
    _notify(session, instruction, "transfer.executed")


def cancel(session: Session, actor: Actor, instruction_id: int) -> Instruction:
    """XFER-5: a future-dated transfer can be cancelled until the day before its value date."""
    from kinko.auth.roles import require_own_or_manager

    instruction = instructions.get_own(session, actor, instruction_id, lock=True)
    # PRD-4: another user's instruction is for the master and admin users to cancel.
    require_own_or_manager(session, actor, instruction.user_id,
                           what="cancelling another user's instruction")
    details = instructions.details_of(instruction)
    if instruction.status is not InstructionStatus.ACCEPTED or details["same_day"] \
            or clock.today() >= instruction.value_date:
        raise NotCancellable(detail=instruction.status.value)
    if not instructions.transition(session, instruction.id, frm=InstructionStatus.ACCEPTED,
                                   to=InstructionStatus.CANCELLED, finished_at=clock.now(),
                                   reason_code="CANCELLED_BY_CUSTOMER",
                                   reason="お客さまによる取消 / cancelled by the customer"):
        raise NotCancellable(detail="already processed")
    _release_limits(session, instruction, details)
    record(session, actor=actor.label, action="transfer.cancelled", subject_type="instruction",
           subject_id=instruction.id)
    return instructions.get_own(session, actor, instruction_id)


# Returns of transfers that other domains sent (e.g. "bulk:"), by reference prefix: they
# register here, so the one handler of the topic needs to import none of them.
RETURN_HANDLERS: dict[str, Callable[[Session, dict[str, Any]], None]] = {}


@handler(RETURNED_TOPIC)
def returned(session: Session, payload: dict[str, Any]) -> None:
    """XFER-7: the other bank could not credit the payee: the funds come back, the fee stays."""
    ref: str = payload["transfer_ref"]
    if not ref.startswith("instruction:"):
        for prefix, returned_elsewhere in RETURN_HANDLERS.items():
            if ref.startswith(prefix):
                returned_elsewhere(session, payload)
        return
    instruction = session.get(Instruction, int(ref.split(":", 1)[1]), with_for_update=True)
    if instruction is None or instruction.status is not InstructionStatus.EXECUTED:
        return
    post(session, EntryRequest(
        kind="transfer_return", memo=f"return of instruction {instruction.id}",
        idempotency_key=f"return:{instruction.id}",
        legs=[Leg(book(session, "clearing"), -instruction.amount, "ｸﾐﾓﾄﾞｼ"),
              Leg(instruction.debit_account_id, instruction.amount, "ﾌﾘｺﾐ ｶｴﾘｷﾝ")],
    ), actor="system:clearing")
    instructions.transition(session, instruction.id, frm=InstructionStatus.EXECUTED,
                            to=InstructionStatus.RETURNED, reason_code=payload["reason_code"],
                            reason=payload.get("reason", ""))
    _notify(session, instruction, "transfer.returned", reason=payload.get("reason", ""))


def _notify(session: Session, instruction: Instruction, template: str, **data: Any) -> None:
    from kinko.auth.effects import notify
    from kinko.auth.models import AuthUser

    user = session.get(AuthUser, instruction.user_id)
    if user is None:
        return
    p = instructions.details_of(instruction)["payee"]
    # The account type in the customer's words (普通), never the code ("ordinary").
    kind = rules.ACCOUNT_TYPES.get(p["account_type"], "")
    payee = f"{p['bank_name']} {p['branch_name']} {kind} {p['number']} {p['holder']}"
    notify(session, user, template, dedupe_key=f"{template}:{instruction.id}",
           reference=f"T{instruction.id:010d}", payee=payee, amount=instruction.amount,
           fee=instruction.fee, value_date=instruction.value_date.isoformat(), **data)
