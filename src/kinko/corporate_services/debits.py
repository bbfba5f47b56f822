"""Direct debit (DD-1) and collection (DD-2): agreements, 依頼書, uploads, the debit day, the
result file and the settlement.

- Upload (by the cutoff before the debit date): the 91 file is validated in full, then kept
  as a batch with one item per record; a file already uploaded answers the same batch.
- Debit day (a holiday moves it to the next business day): items are decided in file order in
  chunks, each chunk one transaction that posts the collected items through the ledger
  (``post_many``: compound entries, a debit leg per payer), writes the chunk's result codes
  (one ``dd_results`` row) and moves the batch's ``decided_through`` past it. A rerun after a
  crash starts after the last committed chunk, so nobody is debited twice.
- Payers at other banks (collection only) are asked of the simulated collection agency.
- The result file (91 with result codes and the collected totals) is ready once every item has
  its result; the settlement day (next business day, or 7 after for collection) pays the
  collected total less the per-item fee to the agreement's account, and the fee to the bank.

Collected money waits in the bank's suspense book (仮受金) between the debit and the
settlement; other banks' payments come in through the clearing book.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.service import record
from kinko.calendar import get_calendar
from kinko.config import get_settings
from kinko.corporate_services import access, edelivery, notices
from kinko.corporate_services.debit_files import Request, cutoff_error, read_request
from kinko.corporate_services.debit_rules import (
    Dates,
    PayerAccount,
    Result,
    agency_result,
    dates,
    precheck,
    result_of_refusal,
    settlement,
)
from kinko.corporate_services.errors import (
    AgreementNotFound,
    BatchNotFound,
    BatchNotReady,
    CutoffPassed,
)
from kinko.corporate_services.models import (
    AgreementKind,
    AgreementState,
    BatchState,
    DebitAgreement,
    DebitBatch,
    DebitItem,
    DebitResults,
    DocumentKind,
    Mandate,
    MandateState,
)
from kinko.db.base import table_of
from kinko.db.copy import copy_rows
from kinko.db.engine import Database
from kinko.errors import DomainError
from kinko.instructions.service import Actor
from kinko.ledger.books import book, ensure_books
from kinko.ledger.errors import InvalidEntry
from kinko.ledger.models import Account, AccountState, AccountType
from kinko.ledger.rules import AccountSnapshot, Leg, check_leg
from kinko.ledger.service import EntryRequest, post, post_many
from kinko.outbox.service import enqueue, handler
from kinko.policy import Cutoff, policy_at
from kinko.zengin import records as r
from kinko.zengin.reader import Options
from kinko.zengin.writer import build_file, build_group, write

DEBIT_TOPIC = "corporate.dd.debit"
SETTLE_TOPIC = "corporate.dd.settle"
CHUNK = 5_000
SERVICE = {AgreementKind.DIRECT_DEBIT: access.Service.DIRECT_DEBIT,
           AgreementKind.COLLECTION: access.Service.COLLECTION}


# --- policy -----------------------------------------------------------------------------------

def _terms(kind: AgreementKind, at: datetime) -> tuple[Cutoff, int, int]:
    policy = policy_at(at)
    group = policy.direct_debit if kind is AgreementKind.DIRECT_DEBIT else policy.collection
    return group.request_cutoff, group.settlement_business_days_after, group.fee_per_item


def batch_dates(kind: AgreementKind, requested: date, at: datetime) -> Dates:
    cutoff, days_after, _ = _terms(kind, at)
    return dates(get_calendar(at), requested, cutoff, days_after)


# --- agreements and 依頼書 (bank side) ---------------------------------------------------------

def create_agreement(session: Session, *, contract_id: int, kind: AgreementKind,
                     originator_code: str, originator_name: str, settlement_account_id: int,
                     actor: str) -> DebitAgreement:
    agreement = DebitAgreement(contract_id=contract_id, kind=kind,
                               originator_code=originator_code,
                               originator_name=originator_name,
                               settlement_account_id=settlement_account_id,
                               created_at=clock.now())
    session.add(agreement)
    session.flush()
    record(session, actor=actor, action="dd.agreement.create", subject_type="dd_agreement",
           subject_id=agreement.id, data={"kind": kind.value, "originator": originator_code})
    return agreement


def register_mandates(session: Session, agreement_id: int,
                      accounts: Sequence[tuple[str, str]], *, actor: str) -> int:
    """Register payers' 預金口座振替依頼書 (branch, account number) received by the bank."""
    now = clock.now()
    rows = [{"agreement_id": agreement_id, "branch_code": b, "account_number": n,
             "state": MandateState.ACTIVE, "created_at": now} for b, n in accounts]
    if rows:
        session.execute(insert(Mandate), rows)
    record(session, actor=actor, action="dd.mandate.register", subject_type="dd_agreement",
           subject_id=agreement_id, data={"count": len(rows)})
    return len(rows)


def stop_mandate(session: Session, agreement_id: int, branch_code: str, account_number: str,
                 *, actor: str) -> None:
    """The payer withdrew the 依頼書: later debits answer 預金者都合."""
    session.execute(update(Mandate).where(
        Mandate.agreement_id == agreement_id, Mandate.branch_code == branch_code,
        Mandate.account_number == account_number).values(state=MandateState.STOPPED,
                                                         stopped_at=clock.now()))
    record(session, actor=actor, action="dd.mandate.stop", subject_type="dd_agreement",
           subject_id=agreement_id, data={"account": f"{branch_code}-{account_number}"})


def agreements_of(session: Session, actor: Actor) -> list[DebitAgreement]:
    contract = access.contract_of(session, actor)
    return list(session.execute(select(DebitAgreement).where(
        DebitAgreement.contract_id == contract.id).order_by(DebitAgreement.id)).scalars())


def own_agreement(session: Session, actor: Actor, agreement_id: int) -> DebitAgreement:
    contract = access.contract_of(session, actor)
    agreement = session.get(DebitAgreement, agreement_id)
    if agreement is None or agreement.contract_id != contract.id:
        raise AgreementNotFound(detail=f"agreement {agreement_id}")
    access.require_service(session, contract, SERVICE[agreement.kind])
    if agreement.state is not AgreementState.ACTIVE:
        raise AgreementNotFound(detail=f"agreement {agreement_id} has ended")
    return agreement


def own_batch(session: Session, actor: Actor, batch_id: int) -> DebitBatch:
    batch = session.get(DebitBatch, batch_id)
    if batch is None:
        raise BatchNotFound(detail=f"batch {batch_id}")
    agreement = session.get(DebitAgreement, batch.agreement_id)
    contract = access.contract_of(session, actor)
    if agreement is None or agreement.contract_id != contract.id:
        raise BatchNotFound(detail=f"batch {batch_id}")
    return batch


def batches_of(session: Session, actor: Actor, limit: int = 50) -> list[DebitBatch]:
    ids = [a.id for a in agreements_of(session, actor)]
    return list(session.execute(select(DebitBatch).where(DebitBatch.agreement_id.in_(ids))
                                .order_by(DebitBatch.id.desc()).limit(limit)).scalars())


# --- upload ---------------------------------------------------------------------------------

def check_file(agreement: DebitAgreement, data: bytes) -> tuple[Request, Dates]:
    """Validate ``data`` against the agreement and the cutoff (no database access)."""
    now = clock.now()
    request = read_request(data, originator_code=agreement.originator_code,
                           own_bank=get_settings().bank_code,
                           other_banks_allowed=agreement.kind is AgreementKind.COLLECTION,
                           today=now.date())
    when = batch_dates(agreement.kind, request.header.debit_date, now)
    if now > when.cutoff:
        raise cutoff_error(when.cutoff, when.debit)
    return request, when


def upload(session: Session, agreement: DebitAgreement, data: bytes, *,
           user_id: int | None, actor: str) -> DebitBatch:
    """Keep a valid request file as a batch (the same file again answers the same batch)."""
    request, when = check_file(agreement, data)
    existing = session.execute(select(DebitBatch).where(
        DebitBatch.agreement_id == agreement.id,
        DebitBatch.file_digest == request.digest)).scalar_one_or_none()
    if existing is not None:
        return existing
    h = request.header
    batch = DebitBatch(
        agreement_id=agreement.id, file_digest=request.digest,
        requested_date=h.debit_date, debit_date=when.debit, settlement_date=when.settlement,
        record_count=len(request.rows), total_amount=request.total_amount,
        uploaded_by=user_id, uploaded_at=clock.now(),
        header_json=json.dumps({"originator_code": h.originator_code,
                                "originator_name": h.originator_name,
                                "bank_name": h.bank_name, "branch_code": h.branch_code,
                                "branch_name": h.branch_name,
                                "account_type": h.account_type,
                                "account_number": h.account_number}, ensure_ascii=False))
    session.add(batch)
    session.flush()
    columns = ("batch_id", "seq", "bank_code", "branch_code", "account_type", "account_number",
               "payer_name", "amount", "new_code", "customer_number", "stopped")
    rows = [(batch.id, i.seq, i.bank_code, i.branch_code, i.account_type, i.account_number,
             i.payer_name, i.amount, i.new_code, i.customer_number, False)
            for i in request.items()]
    if session.get_bind().dialect.name == "postgresql":
        copy_rows(session, "dd_items", columns, rows)
    else:
        session.execute(insert(DebitItem), [dict(zip(columns, row, strict=True)) for row in rows])
    enqueue(session, DEBIT_TOPIC, {"batch": batch.id},
            due_at=datetime.combine(when.debit, time(0, 0), tzinfo=clock.JST),
            dedupe_key=f"dd-debit-{batch.id}")
    notices.notify(session, agreement.contract_id, "corporate.dd.accepted",
                   {"reference": f"DD{batch.id:08d}", "amount": batch.total_amount,
                    "debit_date": when.debit.isoformat()}, f"dd-accepted-{batch.id}")
    record(session, actor=actor, action="dd.batch.upload", subject_type="dd_batch",
           subject_id=batch.id, data={"records": batch.record_count,
                                      "total": batch.total_amount,
                                      "debit_date": when.debit.isoformat()})
    return batch


def _before_cutoff(batch: DebitBatch, kind: AgreementKind) -> None:
    when = batch_dates(kind, batch.requested_date, batch.uploaded_at)
    if batch.state is not BatchState.ACCEPTED or clock.now() > when.cutoff:
        raise CutoffPassed(detail=f"batch {batch.id} ({batch.state.value})")


def cancel(session: Session, actor: Actor, batch_id: int) -> DebitBatch:
    """Withdraw the whole request before the cutoff (after it, only 委託者都合 per item)."""
    batch = own_batch(session, actor, batch_id)
    agreement = session.get(DebitAgreement, batch.agreement_id)
    assert agreement is not None
    _before_cutoff(batch, agreement.kind)
    done = session.execute(update(DebitBatch).where(
        DebitBatch.id == batch.id, DebitBatch.state == BatchState.ACCEPTED
    ).values(state=BatchState.CANCELLED)).rowcount  # type: ignore[attr-defined]
    if not done:
        raise CutoffPassed(detail=f"batch {batch.id}")
    record(session, actor=f"user:{actor.user_id}", action="dd.batch.cancel",
           subject_type="dd_batch", subject_id=batch.id, data={})
    session.refresh(batch)
    return batch


def stop_item(session: Session, actor: Actor, batch_id: int, seq: int) -> None:
    """The company stops one debit before the debit day (result 8, 委託者都合)."""
    batch = own_batch(session, actor, batch_id)
    if batch.state is not BatchState.ACCEPTED or clock.today() >= batch.debit_date:
        raise CutoffPassed(detail=f"batch {batch.id}")
    done = session.execute(update(DebitItem).where(
        DebitItem.batch_id == batch.id, DebitItem.seq == seq).values(stopped=True)
    ).rowcount  # type: ignore[attr-defined]
    if not done:
        raise BatchNotFound(detail=f"record {seq} of batch {batch.id}")
    record(session, actor=f"user:{actor.user_id}", action="dd.item.stop",
           subject_type="dd_batch", subject_id=batch.id, data={"seq": seq})


# --- the debit day ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ChunkResult:
    decided: int
    collected: int
    remaining: bool


def _lock_batch(session: Session, batch_id: int) -> DebitBatch:
    batch = session.execute(select(DebitBatch).where(DebitBatch.id == batch_id)
                            .with_for_update()).scalar_one_or_none()
    if batch is None:
        raise BatchNotFound(detail=f"batch {batch_id}")
    return batch


# The next undecided items of a batch in file order, each with its payer's account (at this
# bank) and 依頼書, as plain driver rows (5,000 a chunk: no ORM objects, no type processing).
_UNDECIDED_SQL = (
    # The seqs of a batch run 1..n, so the chunk is an exact index range, and the account and
    # 依頼書 are looked up per item by their unique keys: a plan that needs no statistics (a
    # batch uploaded minutes ago has none, and a hash join over every 依頼書 of the agreement
    # was four times slower).
    "SELECT i.id, i.bank_code, i.account_type, i.account_number, i.amount, i.stopped, "
    "(SELECT a.id FROM accounts a "
    " WHERE a.branch_code = i.branch_code AND a.number = i.account_number), "
    "(SELECT m.state FROM dd_mandates m WHERE m.agreement_id = %(agreement)s "
    " AND m.branch_code = i.branch_code AND m.account_number = i.account_number) "
    "FROM dd_items i WHERE i.batch_id = %(batch)s AND i.seq > %(after)s "
    "AND i.seq <= %(last)s ORDER BY i.seq")
_LOCK_SQL = ("SELECT id, type, state, balance, held, overdraft_limit FROM accounts "
             "WHERE id = ANY(%(ids)s) ORDER BY id FOR UPDATE")

# (item id, bank code, account type code, account number, amount, stopped by the company,
#  payer account id or None, 依頼書 state or None)
ItemRow = tuple[int, str, str, str, int, bool, int | None, str | None]


def _pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _raw(session: Session, sql: str, params: dict[str, Any]) -> list[Any]:
    """Plain rows of a driver-level statement (still through SQLAlchemy, so a deadlock or a
    lost connection is the DBAPIError that ``Database.run`` retries)."""
    return list(session.connection().exec_driver_sql(sql, params).all())


def _undecided(session: Session, batch: DebitBatch, agreement: DebitAgreement,
               limit: int) -> list[ItemRow]:
    """The next ``limit`` items without a result (read without locks: the payers' figures
    that decide are read again under the lock)."""
    if _pg(session):
        return _raw(session, _UNDECIDED_SQL,
                    {"agreement": agreement.id, "batch": batch.id,
                     "after": batch.decided_through, "last": batch.decided_through + limit})
    item, account, mandate = table_of(DebitItem), table_of(Account), table_of(Mandate)
    return [tuple(r) for r in session.execute(
        select(item.c.id, item.c.bank_code, item.c.account_type, item.c.account_number,
               item.c.amount, item.c.stopped, account.c.id, mandate.c.state)
        .select_from(item)
        .outerjoin(account, and_(account.c.branch_code == item.c.branch_code,
                                 account.c.number == item.c.account_number))
        .outerjoin(mandate, and_(mandate.c.agreement_id == agreement.id,
                                 mandate.c.branch_code == item.c.branch_code,
                                 mandate.c.account_number == item.c.account_number))
        .where(item.c.batch_id == batch.id, item.c.seq > batch.decided_through)
        .order_by(item.c.seq).limit(limit))]


def _lock_payers(session: Session, ids: list[int]) -> dict[int, PayerAccount]:
    """Lock the payers' accounts in id order (the ledger's lock order) and return their
    figures: the result codes and the funds are judged against these."""
    if not ids:
        return {}
    if _pg(session):
        rows: list[Any] = _raw(session, _LOCK_SQL, {"ids": ids})
    else:
        account = table_of(Account)
        rows = list(session.execute(
            select(account.c.id, account.c.type, account.c.state, account.c.balance,
                   account.c.held, account.c.overdraft_limit)
            .where(account.c.id.in_(ids)).order_by(account.c.id).with_for_update()))
    types, states = {t.value: t for t in AccountType}, {s.value: s for s in AccountState}
    return {r[0]: PayerAccount(r[0], types[r[1]], states[r[2]], r[3], r[4], r[5])
            for r in rows}


@dataclass
class _Plan:
    """One chunk: results known without money, and the debits to try under the lock."""

    results: dict[int, Result]
    payers: list[tuple[int, PayerAccount, int]]   # (item id, account, amount), in seq order
    others: list[tuple[int, int]]                 # (item id, amount): collected by the agency


def _plan(items: list[ItemRow], locked: dict[int, PayerAccount]) -> _Plan:
    own_bank = get_settings().bank_code
    plan = _Plan({}, [], [])
    for item_id, bank_code, type_code, number, amount, stopped, account_id, mandate in items:
        if bank_code != own_bank:
            outcome = Result.COMPANY_STOPPED if stopped else agency_result(number, amount)
            if outcome is Result.COLLECTED:
                plan.others.append((item_id, amount))
            else:
                plan.results[item_id] = outcome
            continue
        account = None if account_id is None else locked.get(account_id)
        refused = precheck(account, type_code, mandate, stopped)
        if refused is not None or account is None:
            plan.results[item_id] = refused or Result.NO_ACCOUNT
        else:
            plan.payers.append((item_id, account, amount))
    return plan


def _entries(session: Session, batch: DebitBatch, agreement: DebitAgreement, plan: _Plan,
             actor: str) -> list[EntryRequest]:
    """Decide each debit against the locked figures with the ledger's own rule, and make the
    collected ones compound entries: a debit leg per payer, the agency's total from the
    clearing book, the sum to the suspense book. A payer debited twice in one chunk gets a
    leg in a second entry (one leg per account per entry)."""
    ensure_books(session, actor=actor)
    suspense, clearing = book(session, "suspense"), book(session, "clearing")
    balances: dict[int, int] = {}
    rounds: list[list[Leg]] = []
    seen: dict[int, int] = {}
    description = agreement.originator_name[:100]
    for item_id, account, amount in plan.payers:
        balance = balances.get(account.id, account.balance)
        try:
            check_leg(AccountSnapshot(account.id, balance, account.held,
                                      account.overdraft_limit, account.state), -amount)
        except DomainError as exc:
            plan.results[item_id] = result_of_refusal(exc.code)
            continue
        balances[account.id] = balance - amount
        k = seen.get(account.id, 0)
        seen[account.id] = k + 1
        if k == len(rounds):
            rounds.append([])
        rounds[k].append(Leg(account.id, -amount, description))
        plan.results[item_id] = Result.COLLECTED
    for item_id, _ in plan.others:
        plan.results[item_id] = Result.COLLECTED
    other_total = sum(amount for _, amount in plan.others)
    if other_total:
        if not rounds:
            rounds.append([])
        rounds[0].append(Leg(clearing, -other_total))
    entries = []
    for k, legs in enumerate(rounds):
        legs.append(Leg(suspense, -sum(leg.amount for leg in legs)))
        entries.append(EntryRequest(
            kind="direct_debit" if agreement.kind is AgreementKind.DIRECT_DEBIT
            else "collection", memo=f"dd batch {batch.id}", value_date=batch.debit_date,
            legs=legs, idempotency_key=f"dd:{batch.id}:{plan_key(plan)}:{k}"))
    return entries


def plan_key(plan: _Plan) -> int:
    """The chunk's first item: with the round, a key no other chunk shares."""
    return min(plan.results)


def _write_results(session: Session, batch: DebitBatch, items: list[ItemRow],
                   results: dict[int, Result]) -> None:
    """The chunk's result codes as one row, and the batch's progress past the chunk."""
    if not items:
        return
    session.add(DebitResults(batch_id=batch.id, first_seq=batch.decided_through + 1,
                             codes="".join(results[i[0]].value for i in items)))
    batch.decided_through += len(items)


def debit_chunk(session: Session, batch_id: int, *, limit: int = CHUNK,
                actor: str = "system:batch") -> ChunkResult:
    """Decide the next ``limit`` items of a batch whose debit day has come."""
    batch = _lock_batch(session, batch_id)
    if batch.state in (BatchState.DEBITED, BatchState.SETTLED, BatchState.CANCELLED):
        return ChunkResult(0, 0, False)
    if clock.today() < batch.debit_date:
        raise BatchNotReady(detail=f"batch {batch.id} debits on {batch.debit_date}")
    agreement = session.get(DebitAgreement, batch.agreement_id)
    assert agreement is not None
    if batch.state is BatchState.ACCEPTED:
        batch.state = BatchState.DEBITING
    items = _undecided(session, batch, agreement, limit)
    own_bank = get_settings().bank_code
    locked = _lock_payers(session, sorted({i[6] for i in items
                                           if i[6] is not None and i[1] == own_bank}))
    plan = _plan(items, locked)
    entries = _entries(session, batch, agreement, plan, actor) if items else []
    if entries:
        posted = post_many(session, entries, actor=actor)
        if posted.refused:
            # Decided under the same locks with the same rule: a refusal here is a bug.
            raise InvalidEntry(detail=f"batch {batch.id}: {posted.refused}")
    results = plan.results
    collected = [i[4] for i in items if results[i[0]] is Result.COLLECTED]
    _write_results(session, batch, items, results)
    batch.collected_count += len(collected)
    batch.collected_amount += sum(collected)
    remaining = len(items) == limit
    if not remaining:
        _finish(session, batch, agreement, actor)
    session.flush()
    return ChunkResult(len(items), len(collected), remaining)


def _finish(session: Session, batch: DebitBatch, agreement: DebitAgreement, actor: str) -> None:
    _, _, fee_per_item = _terms(agreement.kind, clock.now())
    batch.fee_total, _ = settlement(batch.collected_amount, batch.collected_count, fee_per_item)
    batch.state = BatchState.DEBITED
    enqueue(session, SETTLE_TOPIC, {"batch": batch.id},
            due_at=datetime.combine(batch.settlement_date, time(0, 0), tzinfo=clock.JST),
            dedupe_key=f"dd-settle-{batch.id}")
    notices.notify(session, agreement.contract_id, "corporate.dd.debited",
                   {"reference": f"DD{batch.id:08d}", "amount": batch.collected_amount,
                    "settlement_date": batch.settlement_date.isoformat()},
                   f"dd-debited-{batch.id}")
    record(session, actor=actor, action="dd.batch.debited", subject_type="dd_batch",
           subject_id=batch.id, data={"collected": batch.collected_count,
                                      "amount": batch.collected_amount,
                                      "fees": batch.fee_total})


def debit_all(session: Session, batch_id: int, *, actor: str = "system:batch") -> None:
    """Every item of a batch in the caller's one transaction (the outbox handler)."""
    while debit_chunk(session, batch_id, actor=actor).remaining:
        pass


@handler(DEBIT_TOPIC)
def _debit_due(session: Session, payload: dict[str, object]) -> None:
    batch_id = payload["batch"]
    assert isinstance(batch_id, int)
    debit_all(session, batch_id)


# --- settlement -------------------------------------------------------------------------------

def settle(session: Session, batch_id: int, *, actor: str = "system:batch") -> DebitBatch:
    """Pay the collected total less fees to the agreement's account (once)."""
    batch = _lock_batch(session, batch_id)
    if batch.state is BatchState.SETTLED:
        return batch
    if batch.state is not BatchState.DEBITED or clock.today() < batch.settlement_date:
        raise BatchNotReady(detail=f"batch {batch.id} settles on {batch.settlement_date}")
    agreement = session.get(DebitAgreement, batch.agreement_id)
    assert agreement is not None
    fees, net = batch.fee_total, batch.collected_amount - batch.fee_total
    if batch.collected_amount:
        legs = [Leg(book(session, "suspense"), -batch.collected_amount)]
        if net:
            legs.append(Leg(agreement.settlement_account_id, net, "ｺｳｻﾞﾌﾘｶｴ ﾆﾕｳｷﾝ"))
        if fees:
            legs.append(Leg(book(session, "fee_income"), fees))
        entry = post(session, EntryRequest(
            kind="direct_debit_settlement" if agreement.kind is AgreementKind.DIRECT_DEBIT
            else "collection_settlement", memo=f"dd batch {batch.id}",
            legs=legs, value_date=clock.today(), idempotency_key=f"dd-settle:{batch.id}"),
            actor=actor)
        batch.settlement_entry_id = entry.entry_id
    batch.state = BatchState.SETTLED
    title = "口座振替 代金入金のお知らせ" if agreement.kind is AgreementKind.DIRECT_DEBIT \
        else "代金回収 代金入金のお知らせ"
    edelivery.issue(
        session, contract_id=agreement.contract_id, kind=DocumentKind.NOTICE, title=title,
        body=[f"委託者コード {agreement.originator_code}", f"引落日 {batch.debit_date}",
              f"入金日 {clock.today()}"],
        table=[["項目", "件数", "金額"],
               ["ご依頼", str(batch.record_count), f"{batch.total_amount:,}円"],
               ["振替済", str(batch.collected_count), f"{batch.collected_amount:,}円"],
               ["引落手数料", "", f"{fees:,}円"], ["ご入金額", "", f"{net:,}円"]],
        account_id=agreement.settlement_account_id, source=f"dd-settle:{batch.id}")
    record(session, actor=actor, action="dd.batch.settled", subject_type="dd_batch",
           subject_id=batch.id, data={"net": net, "fees": fees})
    session.flush()
    return batch


@handler(SETTLE_TOPIC)
def _settle_due(session: Session, payload: dict[str, object]) -> None:
    batch_id = payload["batch"]
    assert isinstance(batch_id, int)
    settle(session, batch_id)


@dataclass(frozen=True)
class RunDone:
    debited: int
    settled: int


def run_due(db: Database, *, chunk: int = CHUNK, actor: str = "system:batch") -> RunDone:
    """The bank's run: every batch whose debit day has come, a transaction per chunk (so a
    large file commits as it goes and a rerun resumes), then every settlement due."""
    today = clock.today()
    with db.transaction() as s:
        due = list(s.execute(select(DebitBatch.id).where(
            DebitBatch.state.in_((BatchState.ACCEPTED, BatchState.DEBITING)),
            DebitBatch.debit_date <= today).order_by(DebitBatch.id)).scalars())
    for batch_id in due:
        while db.run(debit_chunk, batch_id, limit=chunk, actor=actor).remaining:
            pass
    with db.transaction() as s:
        settling = list(s.execute(select(DebitBatch.id).where(
            DebitBatch.state == BatchState.DEBITED,
            DebitBatch.settlement_date <= today).order_by(DebitBatch.id)).scalars())
    for batch_id in settling:
        db.run(settle, batch_id, actor=actor)
    return RunDone(len(due), len(settling))


# --- the result file --------------------------------------------------------------------------

def result_file(session: Session, batch: DebitBatch) -> bytes:
    """The 91 result file: every record with its 振替結果コード and the collected totals."""
    if batch.state not in (BatchState.DEBITED, BatchState.SETTLED):
        raise BatchNotReady(detail=f"batch {batch.id} is {batch.state.value}")
    h = json.loads(batch.header_json)
    header = r.DebitHeader(debit_date=batch.requested_date, bank_code=get_settings().bank_code,
                           **h)
    codes = "".join(session.execute(
        select(DebitResults.codes).where(DebitResults.batch_id == batch.id)
        .order_by(DebitResults.first_seq)).scalars())
    rows = session.execute(
        select(DebitItem.bank_code, DebitItem.branch_code, DebitItem.account_type,
               DebitItem.account_number, DebitItem.payer_name, DebitItem.amount,
               DebitItem.new_code, DebitItem.customer_number, DebitItem.seq)
        .where(DebitItem.batch_id == batch.id).order_by(DebitItem.seq))
    records = [r.DebitData(bank_code=x[0], branch_code=x[1], account_type=x[2],
                           account_number=x[3], payer_name=x[4], amount=x[5], new_code=x[6],
                           customer_number=x[7],
                           result_code=codes[x[8] - 1] if x[8] <= len(codes) else "9")
               for x in rows]
    file = build_file([build_group(header, records, debit_result=True)])
    return write(file, Options(reference_date=batch.requested_date))
