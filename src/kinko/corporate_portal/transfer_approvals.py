"""Approvals of business-net single transfers 振込 (APR-1, AUTH-12; 002 第12条3).

A contract chooses per kind of request how many approvals it needs: none, single or double
(``corporate_settings.approval_transfer``; with smartphone authentication never none). When
the maker confirms a transfer with its step-up, :func:`hold` records it here instead of
executing or scheduling it; the instruction stays ``accepted`` and its limits stay taken.

- the maker never approves; in double approval the final approver differs from the first
  (the pure rules of :mod:`kinko.bulk.rules`, shared with bulk and payroll);
- an approval is bound to the digest of :func:`signed_details` (source, payee, amount, fee,
  value date, version): from the PC by a step-up over it, from the phone by a WebAuthn
  signature over it (:mod:`kinko.auth.approvals`); with smartphone authentication at least
  one step is signed on the phone;
- the maker's edit (a new amount) makes a new version: earlier approvals no longer count;
- the last approval runs a same-day transfer at once and schedules a future-dated one for its
  value date (the transfer domain's own execution job, so nothing runs twice);
- approvals that miss the cutoff (the same-day cutoff, or the value date's debit time) expire:
  the instruction is not established (不成立) and its limits are given back.
Every step is audited and mailed to the maker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.service import canonical, record
from kinko.auth import approvals as phone_approvals
from kinko.auth.effects import notify
from kinko.auth.models import AuthContract, AuthUser
from kinko.auth.rules import operation_digest
from kinko.bulk import rules as approval_rules
from kinko.config import get_settings
from kinko.corporate import entitlements
from kinko.corporate.errors import (
    TransferApprovalExpired,
    TransferApprovalNotFound,
    TransferApprovalRefused,
    TransferApprovalStale,
)
from kinko.corporate.models import TransferApproval, TransferApprovalStep
from kinko.corporate.rules import Service
from kinko.corporate_portal import notices as _notices  # noqa: F401 - registers the mail templates
from kinko.db.base import table_of
from kinko.errors import DomainError
from kinko.instructions import service as instructions
from kinko.instructions.models import Instruction, InstructionStatus
from kinko.instructions.service import Actor, StepUpProof
from kinko.outbox.service import enqueue, handler
from kinko.policy import policy_at
from kinko.transfers import repository as transfer_repo
from kinko.transfers import rules as transfer_rules
from kinko.transfers import service as transfers
from kinko.transfers.errors import LimitExceeded

EXPIRE_TOPIC = "corporate.transfer_approval.expire"
ACTOR = "system:approvals"
WAITING, APPROVED, REJECTED, EXPIRED, WITHDRAWN = (
    "waiting", "approved", "rejected", "expired", "withdrawn")


@dataclass(frozen=True)
class Pending:
    """A transfer with its approval state, for the lists and the approval screen."""

    approval: TransferApproval
    instruction: Instruction
    details: dict[str, Any]          # exactly what an approver signs
    given: list[approval_rules.Given]
    next_step: str | None


# --- what is signed ------------------------------------------------------------------------

def signed_details(instruction: Instruction, version: int) -> dict[str, Any]:
    """The transfer's exact details an approver approves and the phone shows and signs."""
    d = instructions.details_of(instruction)
    p = d["payee"]
    return {"instruction": instruction.id, "version": version, "kind": "transfer",
            "from": f"{d['from']['branch']}-{d['from']['number']}",
            "payee": {"bank": p["bank"], "bank_name": p["bank_name"], "branch": p["branch"],
                      "branch_name": p["branch_name"], "account_type": p["account_type"],
                      "number": p["number"], "holder": p["holder"]},
            "amount": instruction.amount, "fee": instruction.fee,
            "value_date": instruction.value_date.isoformat()}


def digest_of(details: dict[str, Any]) -> str:
    # The same binding as bulk approvals and the phone (kinko.auth.rules.operation_digest).
    return operation_digest("approval", details)


def _cutoff(instruction: Instruction, details: dict[str, Any]) -> datetime:
    """Approvals are due by the same-day cutoff of a same-day transfer, or by the value
    date's debit time of a future-dated one: a later approval could not run as asked."""
    t = policy_at(instruction.entered_at).transfers
    at = t.same_day_cutoff if details["same_day"] else t.future_dated_debit_time
    return datetime.combine(instruction.value_date, at, clock.JST)


# --- the hook of the transfer domain ---------------------------------------------------------

def hold(session: Session, actor: Actor, instruction: Instruction, details: dict[str, Any],
         mode: str) -> None:
    """Called by ``transfers.confirm`` for a business-net transfer that needs approval:
    nothing runs or is scheduled until the last approval (or the expiry job at the cutoff)."""
    now = clock.now()
    cutoff = _cutoff(instruction, details)
    row = TransferApproval(instruction_id=instruction.id, contract_id=actor.contract_id,
                           maker_user_id=actor.user_id, mode=mode, state=WAITING, version=1,
                           digest=digest_of(signed_details(instruction, 1)), cutoff_at=cutoff,
                           created_at=now)
    session.add(row)
    session.flush()
    enqueue(session, EXPIRE_TOPIC, {"instruction_id": instruction.id}, due_at=max(now, cutoff),
            dedupe_key=f"{EXPIRE_TOPIC}:{instruction.id}")
    record(session, actor=actor.label, action="corporate.transfer_waiting",
           subject_type="instruction", subject_id=instruction.id,
           data={"mode": mode, "digest": row.digest, "cutoff": cutoff.isoformat()})
    _mail(session, row, instruction, "corporate.transfer_waiting", row.maker_user_id)


entitlements.register_transfer_hold(hold)


# --- reading ---------------------------------------------------------------------------------

def _given(session: Session, row: TransferApproval) -> list[approval_rules.Given]:
    return [approval_rules.Given(a.step, a.user_id, a.via_phone) for a in session.execute(
        select(TransferApprovalStep).where(TransferApprovalStep.instruction_id ==
                                           row.instruction_id,
                                           TransferApprovalStep.version == row.version)
        .order_by(TransferApprovalStep.id)).scalars()]


def _load(session: Session, actor: Actor, instruction_id: int, *, lock: bool = False
          ) -> tuple[TransferApproval, Instruction]:
    # Locked rows are read again (populate_existing): what an earlier read in this request
    # saw may have changed while this one waited for the lock.
    row = session.get(TransferApproval, instruction_id, with_for_update=lock,
                      populate_existing=lock)
    if row is None or row.contract_id != actor.contract_id:
        raise TransferApprovalNotFound(detail=f"instruction {instruction_id}")
    instruction = session.get(Instruction, instruction_id, with_for_update=lock,
                              populate_existing=lock)
    assert instruction is not None
    # PRD-4: a user who may not transfer from this account neither sees nor approves it.
    entitlements.check(session, actor, Service.TRANSFER,
                       account_id=instruction.debit_account_id)
    return row, instruction


def get(session: Session, actor: Actor, instruction_id: int) -> Pending:
    row, instruction = _load(session, actor, instruction_id)
    given = _given(session, row)
    return Pending(row, instruction, signed_details(instruction, row.version), given,
                   approval_rules.next_step(row.mode, given) if row.state == WAITING else None)


def list_for(session: Session, actor: Actor, *, limit: int = 50) -> list[Pending]:
    """The contract's transfers under approval, newest first (those this user may see)."""
    entitlements.check(session, actor, Service.TRANSFER)
    visible = entitlements.visible_accounts(session, actor)
    rows = session.execute(
        select(TransferApproval, Instruction)
        .join(Instruction, Instruction.id == TransferApproval.instruction_id)
        .where(TransferApproval.contract_id == actor.contract_id)
        .order_by(TransferApproval.instruction_id.desc()).limit(limit)).all()
    out = []
    for row, instruction in rows:
        if visible is not None and instruction.debit_account_id not in visible:
            continue
        given = _given(session, row)
        out.append(Pending(row, instruction, signed_details(instruction, row.version), given,
                           approval_rules.next_step(row.mode, given)
                           if row.state == WAITING else None))
    return out


def can_approve(pending: Pending, user_id: int) -> bool:
    return (pending.approval.state == WAITING and pending.next_step is not None
            and pending.approval.maker_user_id != user_id
            and all(g.user_id != user_id for g in pending.given))


def pending_for(session: Session, actor: Actor) -> list[Pending]:
    """Transfers this user could approve now (home page)."""
    try:
        return [p for p in list_for(session, actor) if can_approve(p, actor.user_id)]
    except DomainError:  # a user without the transfer service has none to approve
        return []


# --- approving ---------------------------------------------------------------------------------

def approve(session: Session, actor: Actor, instruction_id: int, *, digest: str,
            step_up: StepUpProof | None = None, phone_approval_id: str | None = None
            ) -> Pending:
    """One approval step over exactly ``digest`` (what the approver was shown)."""
    row, instruction = _load(session, actor, instruction_id, lock=True)
    if row.state != WAITING or digest != row.digest \
            or instruction.status is not InstructionStatus.ACCEPTED:
        raise TransferApprovalStale(detail=f"{row.state} v{row.version}")
    now = clock.now()
    if now >= row.cutoff_at:
        _expire(session, row, instruction)
        raise TransferApprovalExpired()
    contract = session.get(AuthContract, actor.contract_id)
    user = session.get(AuthUser, actor.user_id)
    assert contract is not None and user is not None
    via_phone = phone_approvals.prove_step(
        session, user, digest=row.digest, step_up=step_up,
        phone_approval_id=phone_approval_id, refused=TransferApprovalRefused,
        what="approving a transfer")
    given = _given(session, row)
    try:
        step = approval_rules.check_approver(
            row.mode, maker_id=row.maker_user_id, given=given, user_id=actor.user_id,
            smartphone=contract.smartphone_auth, via_phone=via_phone)
    except approval_rules.ApprovalRefused as exc:
        raise TransferApprovalRefused(detail=str(exc)) from exc
    try:
        with session.begin_nested():
            session.add(TransferApprovalStep(
                instruction_id=row.instruction_id, version=row.version, step=step,
                user_id=actor.user_id, digest=row.digest, via_phone=via_phone,
                approved_at=now))
            session.flush()
    except IntegrityError as exc:  # another approver took this step at the same moment
        raise TransferApprovalStale(detail="already approved") from exc
    record(session, actor=actor.label, action="corporate.transfer_approval",
           subject_type="instruction", subject_id=instruction.id,
           data={"step": step, "version": row.version, "via_phone": via_phone,
                 "digest": row.digest})
    _mail(session, row, instruction, "corporate.transfer_approval_step", row.maker_user_id,
          step=step)
    given.append(approval_rules.Given(step, actor.user_id, via_phone))
    if approval_rules.next_step(row.mode, given) is None:
        _approved(session, row, instruction)
    return get(session, actor, instruction_id)


def _set_state(session: Session, row: TransferApproval, to: str, **values: Any) -> bool:
    """A conditional UPDATE from ``waiting``: of two racing decisions only one takes effect."""
    t = table_of(TransferApproval)
    done = session.execute(update(t).where(t.c.instruction_id == row.instruction_id,
                                           t.c.state == WAITING, t.c.version == row.version)
                           .values(state=to, **values).returning(t.c.instruction_id)
                           ).one_or_none()
    session.expire(row)
    return done is not None


def _approved(session: Session, row: TransferApproval, instruction: Instruction) -> None:
    """Every approval given: run a same-day transfer now, schedule a future-dated one."""
    if not _set_state(session, row, APPROVED, finished_at=clock.now()):
        raise TransferApprovalStale(detail="already approved")
    record(session, actor=ACTOR, action="corporate.transfer_approved",
           subject_type="instruction", subject_id=instruction.id,
           data={"version": row.version, "digest": row.digest})
    _mail(session, row, instruction, "corporate.transfer_approved", row.maker_user_id)
    details = instructions.details_of(instruction)
    if details["same_day"]:
        # The transfer domain's own job body: debits now, or records why it was not made.
        transfers.execute_due(session, {"instruction_id": instruction.id})
    else:
        due = datetime.combine(instruction.value_date,
                               policy_at(instruction.entered_at).transfers
                               .future_dated_debit_time, clock.JST)
        enqueue(session, transfers.EXECUTE_TOPIC, {"instruction_id": instruction.id},
                due_at=due, dedupe_key=f"{transfers.EXECUTE_TOPIC}:{instruction.id}")


def _end_instruction(session: Session, instruction: Instruction, *, code: str, reason: str,
                     not_established: bool) -> None:
    """The transfer will not run: its status says why, its limits are given back."""
    details = instructions.details_of(instruction)
    if not_established:
        moved = instructions.not_established(session, instruction, code=code, reason=reason,
                                             actor=ACTOR)
    else:
        moved = instructions.transition(session, instruction.id, frm=InstructionStatus.ACCEPTED,
                                        to=InstructionStatus.CANCELLED,
                                        finished_at=clock.now(), reason_code=code,
                                        reason=reason)
    if moved:
        transfers._release_limits(session, instruction, details)


def _expire(session: Session, row: TransferApproval, instruction: Instruction) -> None:
    if _set_state(session, row, EXPIRED, finished_at=clock.now(),
                  reason="approvals missed the cutoff"):
        _end_instruction(session, instruction, code="APPROVAL_EXPIRED",
                         reason="承認期限切れ / approvals missed the cutoff",
                         not_established=True)
        record(session, actor=ACTOR, action="corporate.transfer_expired",
               subject_type="instruction", subject_id=instruction.id)
        _mail(session, row, instruction, "corporate.transfer_expired", row.maker_user_id)


@handler(EXPIRE_TOPIC)
def expire_due(session: Session, payload: dict[str, Any]) -> None:
    row = session.get(TransferApproval, payload["instruction_id"], with_for_update=True)
    if row is None or row.state != WAITING or clock.now() < row.cutoff_at:
        return
    instruction = session.get(Instruction, row.instruction_id, with_for_update=True)
    assert instruction is not None
    _expire(session, row, instruction)


def reject(session: Session, actor: Actor, instruction_id: int, *, reason: str = "") -> Pending:
    """An approver sends the transfer back: it is cancelled and its limits given back."""
    row, instruction = _load(session, actor, instruction_id, lock=True)
    if actor.user_id == row.maker_user_id:
        raise TransferApprovalRefused(detail="the maker withdraws instead")
    _close(session, actor, row, instruction, REJECTED, code="APPROVAL_REJECTED",
           reason=reason[:200] or "rejected", template="corporate.transfer_rejected")
    return get(session, actor, instruction_id)


def withdraw(session: Session, actor: Actor, instruction_id: int) -> Pending:
    """The maker (or a master/admin user) takes the transfer back before it is approved."""
    row, instruction = _load(session, actor, instruction_id, lock=True)
    if actor.user_id != row.maker_user_id and not entitlements.is_manager(session, actor):
        raise TransferApprovalRefused(detail="only the maker or a manager withdraws")
    _close(session, actor, row, instruction, WITHDRAWN, code="CANCELLED_BY_CUSTOMER",
           reason="withdrawn by the maker", template="corporate.transfer_withdrawn")
    return get(session, actor, instruction_id)


def _close(session: Session, actor: Actor, row: TransferApproval, instruction: Instruction,
           state: str, *, code: str, reason: str, template: str) -> None:
    if not _set_state(session, row, state, finished_at=clock.now(), reason=reason):
        raise TransferApprovalStale(detail="already processed")
    _end_instruction(session, instruction, code=code, reason=reason, not_established=False)
    record(session, actor=actor.label, action=f"corporate.transfer_{state}",
           subject_type="instruction", subject_id=instruction.id, data={"reason": reason})
    _mail(session, row, instruction, template, row.maker_user_id, reason=reason)


# --- editing ----------------------------------------------------------------------------------

def edit(session: Session, actor: Actor, instruction_id: int, *, amount: int) -> Pending:
    """The maker changes the amount while approvals are pending: a new version, so the
    approvals given so far are void. The fee and the daily limits follow the new amount."""
    row, instruction = _load(session, actor, instruction_id, lock=True)
    if actor.user_id != row.maker_user_id:
        raise TransferApprovalRefused(detail="only the maker edits")
    if row.state != WAITING or instruction.status is not InstructionStatus.ACCEPTED:
        raise TransferApprovalStale(detail=row.state)
    if clock.now() >= row.cutoff_at:
        _expire(session, row, instruction)
        raise TransferApprovalExpired()
    details = instructions.details_of(instruction)
    if not 0 < amount <= details["limits"]["per_transaction"]:
        raise LimitExceeded(detail=f"per transaction {details['limits']['per_transaction']:,}")
    policy = policy_at(instruction.entered_at)
    scopes = transfers._scopes(actor, details, policy)
    day = datetime.fromisoformat(details["limit_day"]).date()
    for scope, _ in scopes:
        transfer_repo.give_back(session, scope, day, instruction.amount)
    refused = transfer_repo.take_all(session, scopes, day, amount)
    if refused:
        raise LimitExceeded(detail=f"daily limit ({refused[0].split(':')[0]})")
    p = details["payee"]
    kind = transfer_rules.classify(own_bank_code=get_settings().bank_code,
                                   from_branch=details["from"]["branch"],
                                   from_holder=details["from"]["holder"], to_bank=p["bank"],
                                   to_branch=p["branch"], to_holder=p["holder"])
    fee = policy.transfers.transfer_fee(kind.destination, amount) \
        if kind.kind == "furikomi" else 0
    before = instruction.amount
    details["amount"], details["fee"] = amount, fee
    instruction.amount, instruction.fee = amount, fee
    instruction.details = canonical(details)
    row.version += 1
    row.digest = digest_of(signed_details(instruction, row.version))
    session.flush()
    record(session, actor=actor.label, action="corporate.transfer_edited",
           subject_type="instruction", subject_id=instruction.id,
           data={"from": before, "to": amount, "version": row.version, "digest": row.digest})
    return get(session, actor, instruction_id)


# --- mail --------------------------------------------------------------------------------------

def _mail(session: Session, row: TransferApproval, instruction: Instruction, template: str,
          user_id: int, **data: Any) -> None:
    user = session.get(AuthUser, user_id)
    if user is None:
        return
    notify(session, user, template,
           dedupe_key=f"{template}:{instruction.id}:{row.version}:{data.get('step', '')}",
           reference=f"T{instruction.id:010d}", amount=instruction.amount,
           fee=instruction.fee, value_date=instruction.value_date.isoformat(), **data)
