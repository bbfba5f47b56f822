"""The two-step lifecycle (INS-1): enter → the bank shows the details → confirm with the
product's step-up factor before the deadline → accepted → executed or not established.

State changes are conditional UPDATEs on the status, so two confirmations (or a confirmation
racing a cancellation, or the batch racing either) can never both win.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    func,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from kinko import clock
from kinko.audit.service import canonical, record
from kinko.db.base import insert_ignoring_conflicts, table_of
from kinko.errors import IdempotencyMismatch
from kinko.idempotency.models import IdempotencyRecord
from kinko.idempotency.service import check_key, request_hash, storable
from kinko.instructions.errors import (
    InstructionExpired,
    InstructionNotFound,
    InstructionNotOpen,
    StepUpRequired,
)
from kinko.instructions.models import Instruction, InstructionStatus
from kinko.policy import policy_at


@dataclass(frozen=True)
class Actor:
    """Who acts: the logged-in user, its contract and customer (authorisation is by these)."""

    user_id: int
    contract_id: int
    customer_id: int

    @property
    def label(self) -> str:
        return f"user:{self.user_id}"


@dataclass(frozen=True)
class StepUpProof:
    """Evidence that the user passed the product's step-up factor for exactly this operation
    (AUTH-3): produced by the authentication layer, checked here against the digest."""

    user_id: int
    operation_digest: str
    at: datetime


def digest_of(details: dict[str, Any]) -> str:
    """What the customer confirms: a hash of the exact details (payee, amount, date …)."""
    return hashlib.sha256(canonical(details).encode()).hexdigest()


def enter(
    session: Session,
    actor: Actor,
    *,
    kind: str,
    key: str,
    details: dict[str, Any],
    debit_account_id: int,
    amount: int,
    fee: int,
    value_date: date,
) -> tuple[Instruction, bool]:
    """Record an entered instruction; return it and whether it already existed (replay)."""
    check_key(key)
    digest = request_hash({"kind": kind, "details": details})
    now = clock.now()
    deadline = now + policy_at(now).instructions.confirmation_deadline
    # Insert first, ignoring a conflict on (user, key): the usual case costs one statement,
    # and a concurrent entry with the same key waits for the first and then replays it.
    instruction = session.execute(
        _enter_statement(session.get_bind().dialect.name),
        {"kind": kind, "customer_id": actor.customer_id, "contract_id": actor.contract_id,
         "user_id": actor.user_id, "status": InstructionStatus.ENTERED, "create_key": key,
         "request_hash": digest, "details": canonical(details), "digest": digest_of(details),
         "debit_account_id": debit_account_id, "amount": amount, "fee": fee,
         "value_date": value_date, "entered_at": now, "confirm_deadline": deadline},
    ).scalar_one_or_none()
    if instruction is None:
        existing = session.execute(
            select(Instruction).where(Instruction.user_id == actor.user_id,
                                      Instruction.create_key == key)
        ).scalar_one()
        if existing.request_hash != digest:
            raise IdempotencyMismatch(detail=key)
        return existing, True
    record(session, actor=actor.label, action=f"{kind}.entered", subject_type="instruction",
           subject_id=instruction.id, data={"amount": amount, "fee": fee,
                                            "value_date": value_date.isoformat()})
    return instruction, False


# The hot path's statements are built once, their values bound at execution: building a
# statement and computing its cache key on every request cost more than running it.

@cache
def _enter_statement(dialect: str) -> Any:
    ins: Any = pg_insert if dialect == "postgresql" else sqlite_insert
    # The values are bound parameters of the statement and the strategy "orm": given
    # parameters, the ORM would otherwise take them for a bulk INSERT, a far longer path.
    columns = ("kind", "customer_id", "contract_id", "user_id", "status", "create_key",
               "request_hash", "details", "digest", "debit_account_id", "amount", "fee",
               "value_date", "entered_at", "confirm_deadline")
    return (ins(Instruction).values({name: bindparam(name) for name in columns})
            .on_conflict_do_nothing(index_elements=["user_id", "create_key"])
            .returning(Instruction).execution_options(dml_strategy="orm"))


@cache
def _own_with_key_statement() -> Any:
    k = table_of(IdempotencyRecord)
    return (select(Instruction, k.c.request_hash, k.c.response)
            .outerjoin(k, and_(k.c.scope == bindparam("scope"), k.c.key == bindparam("key")))
            .where(Instruction.id == bindparam("instruction_id"),
                   Instruction.contract_id == bindparam("contract_id")))


def get_own(session: Session, actor: Actor, instruction_id: int, *,
            lock: bool = False) -> Instruction:
    """An instruction of the actor's own contract; another customer's is simply not found."""
    stmt = select(Instruction).where(Instruction.id == instruction_id,
                                     Instruction.contract_id == actor.contract_id)
    if lock:
        stmt = stmt.with_for_update()
    found = session.execute(stmt).scalar_one_or_none()
    if found is None:
        raise InstructionNotFound(detail=str(instruction_id))
    return found


def get_own_with_key(session: Session, actor: Actor, instruction_id: int, *, scope: str,
                     key: str) -> tuple[Instruction, str | None, str | None]:
    """:func:`get_own` with the row of an idempotency key in the same statement: the
    instruction, and the key's request hash and stored response (``None`` when the key is
    new), for :func:`kinko.idempotency.service.replayed`."""
    found = session.execute(
        _own_with_key_statement(),
        {"scope": scope, "key": key, "instruction_id": instruction_id,
         "contract_id": actor.contract_id},
    ).one_or_none()
    if found is None:
        raise InstructionNotFound(detail=str(instruction_id))
    return found[0], found[1], found[2]


def details_of(instruction: Instruction) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(instruction.details)
    return result


# Details the bank keeps for carrying an instruction out, never shown to the customer: the
# payee's internal account id (a transfer to this bank, found at entry).
CREDIT_ACCOUNT = "credit_account_id"
INTERNAL_DETAILS = frozenset({CREDIT_ACCOUNT})


def shown_details(instruction: Instruction) -> dict[str, Any]:
    """:func:`details_of` without the internal ones: what an API answer or a page shows."""
    return {k: v for k, v in details_of(instruction).items() if k not in INTERNAL_DETAILS}


@dataclass(frozen=True)
class KeyRecord:
    """An idempotency key to record with the answer of the request that moves an instruction
    (:func:`transition`): ``answer`` makes the stored answer from the instruction as moved."""

    scope: str
    key: str
    payload: Any
    answer: Callable[[Instruction], dict[str, Any]]

    def row(self, instruction: Instruction) -> dict[str, Any]:
        return {"scope": self.scope, "key": self.key,
                "request_hash": request_hash(self.payload),
                "response": json.dumps(storable(self.answer(instruction)), ensure_ascii=False,
                                       default=str),
                "created_at": clock.now()}


def transition(session: Session, instruction_id: int, *, frm: InstructionStatus,
               to: InstructionStatus, key: KeyRecord | None = None, **values: Any) -> bool:
    """Move one instruction from ``frm`` to ``to``; False if it was not in ``frm`` any more.

    ``key``: record this idempotency key with its answer only if the instruction moved (the
    instruction must be loaded). One statement does both (a data-modifying CTE on
    PostgreSQL, the view ``proc_instruction_move``'s trigger on SQLite), so the UPDATE that
    decides between concurrent requests also records the answer. A
    key that a concurrent request recorded first raises :class:`IdempotencyMismatch` (the
    caller's transaction, and so the move, is then undone)."""
    if key is not None:
        return _transition_recording(session, instruction_id, frm=frm, to=to, key=key,
                                     values=values)
    moved = session.execute(_move_statement(tuple(values)),
                            _move_params(instruction_id, frm, to, values)).scalar_one_or_none()
    if moved is not None:
        # The loaded instruction (if any) takes the new values as they are now committed to
        # the row: no reload, and nothing else in the session is expired.
        loaded = session.identity_map.get(session.identity_key(Instruction, instruction_id))
        if loaded is not None:
            for name, value in {"status": to, **values}.items():
                set_committed_value(loaded, name, value)
    return moved is not None


def _transition_recording(session: Session, instruction_id: int, *, frm: InstructionStatus,
                          to: InstructionStatus, key: KeyRecord, values: dict[str, Any]
                          ) -> bool:
    loaded = session.identity_map.get(session.identity_key(Instruction, instruction_id))
    if not isinstance(loaded, Instruction):
        raise InstructionNotFound(detail=str(instruction_id))
    before = {name: getattr(loaded, name) for name in ("status", *values)}
    # The answer is made from the instruction as the UPDATE will leave it.
    for name, value in {"status": to, **values}.items():
        set_committed_value(loaded, name, value)
    row = key.row(loaded)
    params = _move_params(instruction_id, frm, to, values)
    dialect = session.get_bind().dialect.name
    if (dialect == "sqlite" and values.keys() <= frozenset(_SQLITE_MOVED)
            and None not in values.values()):
        moved, kept = _sqlite_move_recording(session, instruction_id, frm=frm, to=to, row=row,
                                             values=values)
    elif dialect != "postgresql":
        # SQLite, a move the view does not cover: the UPDATE, then the key (the database's
        # single writer serialises them).
        moved = session.execute(_move_statement(tuple(values)), params).scalar_one_or_none()
        kept = moved is not None and bool(insert_ignoring_conflicts(
            session, IdempotencyRecord, row))
    else:
        params.update({f"key_{name}": value for name, value in row.items()})
        found = session.execute(_move_recording_statement(tuple(values), tuple(row)),
                                params).one()
        moved, kept = found.moved, bool(found.kept)
    if moved is None:
        for name, value in before.items():
            set_committed_value(loaded, name, value)
        return False
    if not kept:
        raise IdempotencyMismatch(detail=f"{key.scope}/{key.key} was used by a concurrent "
                                         "request")
    return True


def _move_params(instruction_id: int, frm: InstructionStatus, to: InstructionStatus,
                 values: dict[str, Any]) -> dict[str, Any]:
    params = {f"set_{name}": value for name, value in values.items()}
    params.update(instruction_id_=instruction_id, from_status=frm, set_status=to)
    return params


@cache
def _move_statement(names: tuple[str, ...]) -> Any:
    """UPDATE one instruction from one status to another (and ``names``' columns), if it is
    still in the first: built once per set of columns (the Core table: the caller puts the
    values on a loaded instruction itself)."""
    t = table_of(Instruction)
    return (update(t)
            .where(t.c.id == bindparam("instruction_id_"), t.c.status == bindparam("from_status"))
            .values({name: bindparam(f"set_{name}") for name in ("status", *names)})
            .returning(t.c.id))


@cache
def _move_recording_statement(names: tuple[str, ...], key_columns: tuple[str, ...]) -> Any:
    """:func:`_move_statement` and the idempotency key's row, inserted only if the instruction
    moved, in one statement (PostgreSQL's data-modifying CTEs)."""
    k = table_of(IdempotencyRecord)
    moving = _move_statement(names).cte("moved")
    recording = (pg_insert(k).from_select(
        list(key_columns),
        select(*[bindparam(f"key_{n}", type_=k.c[n].type).label(n) for n in key_columns])
        .where(select(moving.c.id).exists()))
        .on_conflict_do_nothing().returning(k.c.key).cte("recorded"))
    return select(
        select(moving.c.id).scalar_subquery().label("moved"),
        select(func.count()).select_from(recording).scalar_subquery().label("kept"),
    )


# SQLite: the view whose INSTEAD OF trigger moves an instruction and records the key in one
# statement (migration 0020), typed like the columns it writes; not in the models' metadata.
# It sets the status and these columns, each only when given (a NULL leaves the column).
_SQLITE_MOVED = ("confirmed_at", "entry_id", "finished_at")
_KEY_COLUMNS = ("scope", "key", "request_hash", "response", "created_at")
_SQLITE_MOVE = Table(
    "proc_instruction_move", MetaData(),
    Column("instruction_id", BigInteger), Column("from_status", String(20)),
    Column("to_status", String(20)),
    *(Column(name, table_of(Instruction).c[name].type) for name in _SQLITE_MOVED),
    *(Column(name, table_of(IdempotencyRecord).c[name].type) for name in _KEY_COLUMNS),
)


@cache
def _sqlite_move_statement() -> Any:
    """The INSERT into ``proc_instruction_move``, built once (every column bound)."""
    return (insert(_SQLITE_MOVE)
            .values({c.name: bindparam(c.name, type_=c.type) for c in _SQLITE_MOVE.c})
            .returning(_SQLITE_MOVE.c.instruction_id))


def _sqlite_move_recording(session: Session, instruction_id: int, *, frm: InstructionStatus,
                           to: InstructionStatus, row: dict[str, Any], values: dict[str, Any]
                           ) -> tuple[int | None, bool]:
    """(moved, kept) as PostgreSQL's CTE gives them, from one INSERT into the view: its
    trigger writes nothing and returns no row when the instruction is in ``frm`` no more, and
    aborts the statement (so nothing moved) when the key is recorded already."""
    params = dict.fromkeys(_SQLITE_MOVED) | values | row
    params.update(instruction_id=instruction_id, from_status=frm.value, to_status=to.value)
    try:
        found = session.execute(_sqlite_move_statement(), params).scalar_one_or_none()
    except IntegrityError as exc:
        if "idempotency key recorded by a concurrent request" not in str(exc.orig):
            raise
        return instruction_id, False
    return found, found is not None


def accept(session: Session, actor: Actor, instruction_id: int, step_up: StepUpProof | None,
           *, loaded: Instruction | None = None, defer: bool = False) -> Instruction:
    """Confirm an entered instruction (INS-1). Raises if late, already decided or unproven.

    ``loaded``: the instruction as the caller already read it in this transaction (its
    status is checked again by the conditional UPDATE, so a stale copy cannot win twice).

    ``defer``: the caller carries the instruction out in this same transaction and moves it
    from ENTERED to its final state itself, with ``confirmed_at`` (:func:`transition`, one
    conditional UPDATE instead of two), raising if that UPDATE finds it ENTERED no more; so
    of two concurrent confirmations still only one wins. Here it is only checked."""
    instruction = (loaded if loaded is not None and loaded.id == instruction_id
                   and loaded.contract_id == actor.contract_id
                   else get_own(session, actor, instruction_id))
    if instruction.status is not InstructionStatus.ENTERED:
        raise InstructionNotOpen(detail=instruction.status.value)
    if (step_up is None or step_up.user_id != actor.user_id
            or step_up.operation_digest != instruction.digest):
        raise StepUpRequired
    now = clock.now()
    if now > instruction.confirm_deadline:
        # The void itself must be committed, so it is returned as a state, not raised here:
        # the caller raises InstructionExpired after its transaction commits the void.
        transition(session, instruction.id, frm=InstructionStatus.ENTERED,
                   to=InstructionStatus.VOID, finished_at=now, reason_code="DEADLINE_PASSED",
                   reason="確認期限経過 / confirmation deadline passed")
        record(session, actor=actor.label, action=f"{instruction.kind}.void",
               subject_type="instruction", subject_id=instruction.id)
        return instruction
    if not defer and not transition(session, instruction.id, frm=InstructionStatus.ENTERED,
                                    to=InstructionStatus.ACCEPTED, confirmed_at=now):
        raise InstructionNotOpen(detail="confirmed concurrently")
    record(session, actor=actor.label, action=f"{instruction.kind}.accepted",
           subject_type="instruction", subject_id=instruction.id)
    return instruction


def raise_if_void(instruction: Instruction) -> None:
    if instruction.status is InstructionStatus.VOID:
        raise InstructionExpired


def not_established(session: Session, instruction: Instruction, *, code: str, reason: str,
                    actor: str = "system:batch") -> bool:
    """INS-2: the instruction is treated as never made; the reason is kept for the list."""
    done = transition(session, instruction.id, frm=InstructionStatus.ACCEPTED,
                      to=InstructionStatus.NOT_ESTABLISHED, finished_at=clock.now(),
                      reason_code=code, reason=reason)
    if done:
        record(session, actor=actor, action=f"{instruction.kind}.not_established",
               subject_type="instruction", subject_id=instruction.id,
               data={"code": code, "reason": reason})
    return done


def list_for(session: Session, actor: Actor, *, limit: int = 50, offset: int = 0,
             user_id: int | None = None, before: int | None = None) -> list[Instruction]:
    """The contract's instructions, newest first; only ``user_id``'s when given.

    ``before`` is the id of the last instruction of the previous page: the page then starts
    right after it by keyset on ``(entered_at, id)`` over ``ix_instructions_contract_entered``,
    at the cost of the first page however many instructions the contract has. An id that is
    not the contract's own gives an empty page.
    """
    stmt = select(Instruction).where(Instruction.contract_id == actor.contract_id)
    if user_id is not None:
        stmt = stmt.where(Instruction.user_id == user_id)
    if before is not None:
        cursor = session.execute(
            select(Instruction.entered_at).where(Instruction.id == before,
                                                 Instruction.contract_id == actor.contract_id)
        ).scalar_one_or_none()
        if cursor is None:
            return []
        # The cursor's time is bound with the column's own type (UTC on SQLite), as a plain
        # comparison with the column would be; a bare tuple would bind it unconverted.
        at = bindparam("cursor_at", cursor, type_=Instruction.entered_at.type)
        stmt = stmt.where(Instruction.entered_at <= cursor,
                          tuple_(Instruction.entered_at, Instruction.id) < tuple_(at, before))
    return list(session.execute(
        stmt.order_by(Instruction.entered_at.desc(), Instruction.id.desc())
        .limit(limit).offset(offset)
    ).scalars())
