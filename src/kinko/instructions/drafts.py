"""Drafts: instructions entered and shown but not confirmed (INS-1).

Every "確認画面へ" enters an instruction; a customer who changes their mind discards it, and
one left alone past its confirmation deadline is voided (when its list is read, and by
:func:`void_stale` for the whole bank), so no draft stays "not confirmed" for ever. The funds
check at entry tells the customer before the confirmation screen that a same-day instruction
cannot be paid; the confirmation checks again, because the balance may change in between.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.service import record
from kinko.instructions.errors import InstructionNotOpen
from kinko.instructions.models import Instruction, InstructionStatus
from kinko.instructions.service import Actor, get_own
from kinko.ledger.errors import InsufficientFunds
from kinko.ledger.models import Account
from kinko.ledger.rules import withdrawable

DISCARDED = "DISCARDED"
DEADLINE_PASSED = "DEADLINE_PASSED"


def discard(session: Session, actor: Actor, instruction_id: int) -> Instruction:
    """The customer drops an unconfirmed instruction; a confirmed one cannot be discarded."""
    instruction = get_own(session, actor, instruction_id)
    moved = session.execute(
        update(Instruction)
        .where(Instruction.id == instruction.id,
               Instruction.status == InstructionStatus.ENTERED)
        .values(status=InstructionStatus.VOID, finished_at=clock.now(), reason_code=DISCARDED,
                reason="お客さまが破棄 / discarded by the customer")
        .returning(Instruction.id)
    ).scalar_one_or_none()
    if moved is None:
        raise InstructionNotOpen(detail=instruction.status.value)
    session.expire_all()
    record(session, actor=actor.label, action=f"{instruction.kind}.discarded",
           subject_type="instruction", subject_id=instruction.id)
    return get_own(session, actor, instruction_id)


def void_stale(session: Session, *, contract_id: int | None = None,
               now: datetime | None = None) -> int:
    """Void the drafts whose confirmation deadline has passed (one contract's, or all)."""
    now = now or clock.now()
    stmt = (update(Instruction)
            .where(Instruction.status == InstructionStatus.ENTERED,
                   Instruction.confirm_deadline < now)
            .values(status=InstructionStatus.VOID, finished_at=now,
                    reason_code=DEADLINE_PASSED,
                    reason="確認期限経過 / confirmation deadline passed")
            .returning(Instruction.id, Instruction.kind))
    if contract_id is not None:
        stmt = stmt.where(Instruction.contract_id == contract_id)
    voided = session.execute(stmt).all()
    for row in voided:
        record(session, actor="system", action=f"{row.kind}.void", subject_type="instruction",
               subject_id=row.id, data={"reason": DEADLINE_PASSED})
    if voided:
        session.expire_all()
    return len(voided)


def check_funds(session: Session, instruction: Instruction, *, same_day: bool) -> None:
    """Refuse at entry a same-day instruction the debit account cannot pay now (amount and
    fee). A future-dated one is checked on its value date: money may arrive before then."""
    if not same_day:
        return
    # The debit account as the entry read it in this transaction (no statement when it is
    # loaded): the check tells the customer early, the confirmation's posting decides.
    account = session.get(Account, instruction.debit_account_id)
    if account is None:  # pragma: no cover - a foreign key guarantees it
        raise InsufficientFunds(detail="at entry")
    available = withdrawable(account.balance, account.held, account.overdraft_limit)
    needed = instruction.amount + instruction.fee
    if available < needed:
        raise InsufficientFunds(detail="at entry", withdrawable=max(available, 0),
                                needed=needed)
