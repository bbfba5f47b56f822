"""組戻 (recall) of same-day transfers (XFER-5): requested at the branch, handled by an operator.

A same-day transfer cannot be cancelled once confirmed; the customer asks the branch for a
recall instead. The request charges the recall fee through the ledger at once (002 第5条2(7));
the operator then records whether the funds came back (the payee or the other bank agreed) or
not. The fee is kept either way.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.service import record
from kinko.instructions import service as instructions
from kinko.instructions.models import Instruction, InstructionStatus
from kinko.ledger import repository as ledger_repo
from kinko.ledger.books import book
from kinko.ledger.rules import Leg
from kinko.ledger.service import EntryRequest, post
from kinko.policy import policy_at
from kinko.transfers.errors import NotRecallable
from kinko.transfers.models import Recall, RecallState


def request(session: Session, *, instruction_id: int, operator: str, reason: str) -> Recall:
    """Queue a recall of an executed same-day transfer and charge the fee (XFER-5)."""
    if not reason.strip() or len(reason) > 200:
        raise NotRecallable(detail="a reason of 1–200 characters is required")
    instruction = session.get(Instruction, instruction_id, with_for_update=True)
    if instruction is None or instruction.kind != "transfer":
        raise NotRecallable(detail=f"instruction {instruction_id}")
    details = instructions.details_of(instruction)
    if instruction.status is not InstructionStatus.EXECUTED or not details["same_day"]:
        raise NotRecallable(detail=f"status {instruction.status.value}")
    existing = session.execute(
        select(Recall).where(Recall.instruction_id == instruction_id)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    fee = policy_at(clock.now()).transfers.recall_fee
    fee_entry = post(session, EntryRequest(
        kind="recall_fee", memo=f"recall of instruction {instruction_id}",
        idempotency_key=f"recall-fee:{instruction_id}",
        legs=[Leg(instruction.debit_account_id, -fee, "ｸﾐﾓﾄﾞｼﾃｽｳﾘﾖｳ"),
              Leg(book(session, "fee_income"), fee, "ｸﾐﾓﾄﾞｼﾃｽｳﾘﾖｳ")],
    ), actor=operator) if fee else None
    recall = Recall(instruction_id=instruction_id, state=RecallState.REQUESTED,
                    reason=reason.strip(), fee=fee,
                    fee_entry_id=fee_entry.entry_id if fee_entry else None,
                    requested_by=operator, requested_at=clock.now())
    session.add(recall)
    session.flush()
    record(session, actor=operator, action="transfer.recall.requested", subject_type="instruction",
           subject_id=instruction_id, data={"fee": fee, "reason": reason.strip()})
    return recall


def decide(session: Session, *, recall_id: int, operator: str, funds_returned: bool) -> Recall:
    """Record the outcome. Returned funds move back from the payee (this bank) or clearing."""
    recall = session.get(Recall, recall_id, with_for_update=True)
    if recall is None or recall.state is not RecallState.REQUESTED:
        raise NotRecallable(detail=f"recall {recall_id} is not open")
    instruction = session.get(Instruction, recall.instruction_id)
    assert instruction is not None
    entry_id = None
    if funds_returned:
        details = instructions.details_of(instruction)
        payee = details["payee"]
        if payee["own_bank"]:
            source = ledger_repo.find_account(session, payee["branch"], payee["number"])
            assert source is not None
            source_id = source.id
        else:
            source_id = book(session, "clearing")
        entry_id = post(session, EntryRequest(
            kind="recall", memo=f"recall of instruction {instruction.id}",
            idempotency_key=f"recall:{instruction.id}",
            legs=[Leg(source_id, -instruction.amount, "ｸﾐﾓﾄﾞｼ"),
                  Leg(instruction.debit_account_id, instruction.amount, "ｸﾐﾓﾄﾞｼ")],
        ), actor=operator).entry_id
        instructions.transition(session, instruction.id, frm=InstructionStatus.EXECUTED,
                                to=InstructionStatus.RECALLED, reason_code="RECALLED",
                                reason="組戻済 / recalled")
    state = RecallState.COMPLETED if funds_returned else RecallState.REJECTED
    session.execute(update(Recall).where(Recall.id == recall_id).values(
        state=state, decided_by=operator, decided_at=clock.now(), return_entry_id=entry_id))
    record(session, actor=operator, action=f"transfer.recall.{state.value}",
           subject_type="instruction", subject_id=instruction.id)
    session.expire_all()
    result = session.get(Recall, recall_id)
    assert result is not None
    return result


def queue(session: Session, state: RecallState = RecallState.REQUESTED) -> list[Recall]:
    """The operator's work queue (OPS-2), oldest first."""
    return list(session.execute(
        select(Recall).where(Recall.state == state).order_by(Recall.requested_at)
    ).scalars())
