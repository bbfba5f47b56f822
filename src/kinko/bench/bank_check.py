"""The checker of `kinko bench bank`: what the clients were told against what the books say.

Runs after the run, with the app and the batch runners stopped, on the scratch bank. It seals
the audit chain (as `kinko batch run` does) and then proves, reporting every exception as an
:class:`Anomaly` with the client, keys, instruction and both sides of the disagreement:

* the total of all balances is the total after seeding (money is neither made nor lost; in
  double entry it is zero, the bank's own books included);
* the customers' total is the total after seeding less the fees of the executed transfers,
  and every account's balance is its opening balance moved by exactly the executed
  instructions (computed from the instructions, not from the postings);
* Σ debits = Σ credits, and every stored balance equals the sum of its postings;
* no account is past its overdraft line;
* every journal entry booked during the run belongs to one instruction, with the legs that
  instruction asks for (debit amount + fee, credit amount);
* every acknowledged transfer (the confirm answered 2xx "executed") is booked exactly once;
  every definitely refused one not at all; an indeterminate one at most once;
* one idempotency key never made two instructions, and a confirm key's stored answer names the
  instruction the client confirmed;
* no instruction of a bench customer was booked without a request the clients made;
* the audit chain verifies, with nothing left unsealed.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kinko.db.engine import Database

OK, FAILED, INDETERMINATE = "ok", "failed", "indeterminate"
_MEMO = re.compile(r"^instruction (\d+)$")
_KEY = re.compile(r"^instruction:(\d+)$")
MAX_DETAILS_PER_KIND = 20


@dataclass
class TransferRecord:
    """One transfer as its client saw it."""

    client: int
    user_id: int
    enter_key: str
    confirm_key: str
    from_account: int
    to_account: int
    amount: int
    instruction_id: int | None = None
    outcome: str = INDETERMINATE
    answer: str = ""          # the definite answer, e.g. "200 executed", "422 XFER_…@confirm"

    def describe(self) -> str:
        return (f"client {self.client} user {self.user_id} enter-key {self.enter_key} "
                f"confirm-key {self.confirm_key} instruction {self.instruction_id} "
                f"{self.amount:,} yen {self.from_account}→{self.to_account}, told: "
                f"{self.outcome} ({self.answer or 'no definite answer'})")


@dataclass(frozen=True)
class Anomaly:
    kind: str
    detail: str

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind, "detail": self.detail}


@dataclass(frozen=True)
class Baseline:
    """The bank right after seeding: what the run must conserve."""

    total: int                   # Σ every balance, the bank's own books included
    customers: int               # Σ the customers' balances (the books left out)
    balances: dict[int, int]     # every account's opening balance
    last_entry_id: int           # entries above this were booked during the run
    user_ids: frozenset[int]     # the bench customers' users


@dataclass
class CheckReport:
    anomalies: list[Anomaly] = field(default_factory=list)
    total_before: int = 0
    total_after: int = 0
    customers_before: int = 0
    customers_after: int = 0
    books_ok: bool = False
    entries_booked: int = 0
    executed: int = 0
    audit_checked: int = 0
    audit_sealed_now: int = 0
    audit_unsealed: int = 0

    def add(self, kind: str, detail: str) -> None:
        self.anomalies.append(Anomaly(kind, detail))

    def as_json(self) -> dict[str, Any]:
        return {"total_before": self.total_before, "total_after": self.total_after,
                "total_conserved": self.total_before == self.total_after,
                "customers_before": self.customers_before,
                "customers_after": self.customers_after,
                "books_ok": self.books_ok, "entries_booked": self.entries_booked,
                "executed": self.executed, "audit_checked": self.audit_checked,
                "audit_sealed_now": self.audit_sealed_now,
                "audit_unsealed": self.audit_unsealed}


def baseline(session: Session, user_ids: Sequence[int]) -> Baseline:
    from kinko.ledger.models import Account, JournalEntry

    rows = session.execute(select(Account.id, Account.balance, Account.customer_id)).all()
    last = session.scalar(select(func.coalesce(func.max(JournalEntry.id), 0)))
    return Baseline(total=sum(r.balance for r in rows),
                    customers=sum(r.balance for r in rows if r.customer_id is not None),
                    balances={r.id: r.balance for r in rows}, last_entry_id=int(last or 0),
                    user_ids=frozenset(user_ids))


def check(db: Database, base: Baseline, transfers: Sequence[TransferRecord]) -> CheckReport:
    """Seal the audit chain, then prove everything above; never raises for a finding."""
    from kinko.audit.service import seal

    report = CheckReport(total_before=base.total)
    while sealed := db.run(seal):
        report.audit_sealed_now += sealed
    with db.transaction() as session:
        _money(session, base, report)
        _transfers(session, base, transfers, report)
        _audit(session, report)
    return _capped(report)


def _capped(report: CheckReport) -> CheckReport:
    """At most MAX_DETAILS_PER_KIND details of one kind, then one line with how many more."""
    seen: dict[str, int] = defaultdict(int)
    kept: list[Anomaly] = []
    for anomaly in report.anomalies:
        seen[anomaly.kind] += 1
        if seen[anomaly.kind] <= MAX_DETAILS_PER_KIND:
            kept.append(anomaly)
    for kind, count in seen.items():
        if count > MAX_DETAILS_PER_KIND:
            kept.append(Anomaly(kind, f"… and {count - MAX_DETAILS_PER_KIND} more of this kind"))
    report.anomalies = kept
    return report


def _money(session: Session, base: Baseline, report: CheckReport) -> None:
    from kinko.ledger.models import Account
    from kinko.ledger.service import check_books

    report.total_after = int(session.scalar(
        select(func.coalesce(func.sum(Account.balance), 0))) or 0)
    if report.total_after != base.total:
        report.add("total_not_conserved",
                   f"Σ balances {base.total:,} after seeding, {report.total_after:,} now "
                   f"({report.total_after - base.total:+,})")
    books = check_books(session)
    report.books_ok = books.ok
    if books.debits != books.credits:
        report.add("books_unbalanced", f"Σ debits {books.debits:,} ≠ Σ credits "
                                       f"{books.credits:,}")
    for account_id, (stored, rebuilt) in sorted(books.mismatched.items()):
        report.add("balance_not_postings", f"account {account_id}: balance {stored:,}, "
                                           f"postings sum to {rebuilt:,}")
    for row in session.execute(
            select(Account.id, Account.balance, Account.overdraft_limit)
            .where(Account.balance < -Account.overdraft_limit)).all():
        report.add("past_overdraft", f"account {row.id}: balance {row.balance:,} past its "
                                     f"overdraft line {row.overdraft_limit:,}")


@dataclass(frozen=True)
class _Instruction:
    id: int
    user_id: int
    create_key: str
    status: str
    entry_id: int | None
    debit_account_id: int
    credit_account_id: int | None     # the payee's account at this bank
    amount: int
    fee: int


@dataclass
class _Books:
    """The run's instructions and the entries booked for them, as the database has them."""

    by_id: dict[int, _Instruction]
    by_key: dict[tuple[int, str], list[_Instruction]]
    entries_of: dict[int, list[int]]
    confirm_answers: dict[tuple[int, str], int | None]


def _load(session: Session, base: Baseline, report: CheckReport) -> _Books:
    from kinko.idempotency.models import IdempotencyRecord
    from kinko.instructions.models import Instruction
    from kinko.ledger.models import Account, JournalEntry, Posting

    numbers = {(a.branch_code, a.number): a.id
               for a in session.execute(select(Account.id, Account.branch_code,
                                               Account.number)).all()}
    by_id: dict[int, _Instruction] = {}
    by_key: dict[tuple[int, str], list[_Instruction]] = defaultdict(list)
    for r in session.scalars(select(Instruction).where(
            Instruction.user_id.in_(base.user_ids))).all():
        payee = json.loads(r.details).get("payee", {})
        credit = numbers.get((payee.get("branch"), payee.get("number"))) \
            if payee.get("own_bank") else None
        i = _Instruction(r.id, r.user_id, r.create_key, str(r.status.value), r.entry_id,
                         r.debit_account_id, credit, r.amount, r.fee)
        by_id[i.id] = i
        by_key[(i.user_id, i.create_key)].append(i)
    report.executed = sum(i.status == "executed" for i in by_id.values())

    # Every entry booked during the run, and the instruction it books.
    entries_of: dict[int, list[int]] = defaultdict(list)
    entries = session.execute(select(JournalEntry.id, JournalEntry.idempotency_key,
                                     JournalEntry.memo, JournalEntry.kind)
                              .where(JournalEntry.id > base.last_entry_id)).all()
    report.entries_booked = len(entries)
    legs: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for p in session.execute(select(Posting.entry_id, Posting.account_id, Posting.amount)
                             .where(Posting.entry_id > base.last_entry_id)).all():
        legs[p.entry_id][p.account_id] += p.amount
    for e in entries:
        match = _KEY.match(e.idempotency_key or "") or _MEMO.match(e.memo or "")
        instruction = by_id.get(int(match.group(1))) if match else None
        if instruction is None:
            report.add("unexplained_entry", f"journal entry {e.id} ({e.kind}, key "
                                            f"{e.idempotency_key!r}, memo {e.memo!r}) belongs "
                                            "to no instruction of the run")
            continue
        entries_of[instruction.id].append(e.id)
        debit = legs[e.id].get(instruction.debit_account_id, 0)
        credit = (legs[e.id].get(instruction.credit_account_id, 0)
                  if instruction.credit_account_id else instruction.amount)
        if debit != -(instruction.amount + instruction.fee) or credit != instruction.amount:
            report.add("entry_legs_wrong", f"journal entry {e.id} of instruction "
                                           f"{instruction.id} debits {-debit:,} and credits "
                                           f"{credit:,}; the instruction says "
                                           f"{instruction.amount:,} + fee {instruction.fee:,}")
    confirm_answers: dict[tuple[int, str], int | None] = {}
    for row in session.execute(select(IdempotencyRecord.scope, IdempotencyRecord.key,
                                      IdempotencyRecord.response)
                               .where(IdempotencyRecord.scope.like("transfer.confirm:%"))).all():
        user_id = int(row.scope.split(":", 1)[1])
        confirm_answers[(user_id, row.key)] = _answered_instruction(row.response)
    return _Books(by_id, by_key, entries_of, confirm_answers)


def _expected_balances(session: Session, base: Baseline, books: _Books,
                       report: CheckReport) -> None:
    """Each account's balance from its opening and the executed instructions alone, without
    the postings: a balance changed behind the ledger's back shows here even when its
    postings were changed with it."""
    from kinko.ledger.models import Account

    expected = dict(base.balances)
    fee_total = 0
    for i in books.by_id.values():
        if i.status != "executed":
            continue
        expected[i.debit_account_id] = expected.get(i.debit_account_id, 0) - i.amount - i.fee
        if i.credit_account_id is not None:
            expected[i.credit_account_id] = expected.get(i.credit_account_id, 0) + i.amount
        fee_total += i.fee
    customers = 0
    for row in session.execute(select(Account.id, Account.balance, Account.customer_id)).all():
        if row.customer_id is None:
            continue
        customers += row.balance
        if row.id in expected and row.balance != expected[row.id]:
            report.add("balance_not_instructions",
                       f"account {row.id}: balance {row.balance:,}, the executed instructions "
                       f"give {expected[row.id]:,} ({row.balance - expected[row.id]:+,})")
    report.customers_before, report.customers_after = base.customers, customers
    if customers != base.customers - fee_total:
        report.add("customer_money_not_conserved",
                   f"Σ customer balances {base.customers:,} after seeding, {customers:,} now; "
                   f"the executed transfers' fees account for {fee_total:,} "
                   f"(difference {customers - base.customers + fee_total:+,})")


def _transfers(session: Session, base: Baseline, transfers: Sequence[TransferRecord],
               report: CheckReport) -> None:
    books = _load(session, base, report)
    _expected_balances(session, base, books, report)
    claimed: set[int] = set()
    for t in transfers:
        found = books.by_key.get((t.user_id, t.enter_key), [])
        if len(found) > 1:
            report.add("duplicate_for_key", f"{len(found)} instructions "
                                            f"{[i.id for i in found]} for one key: "
                                            f"{t.describe()}")
        instruction = found[0] if found else None
        if instruction is not None:
            claimed.add(instruction.id)
        _one(t, instruction, books, report)
    for i in books.by_id.values():
        if i.id not in claimed and (i.status == "executed" or i.id in books.entries_of):
            report.add("booked_without_request",
                       f"instruction {i.id} (user {i.user_id}, key {i.create_key}) is "
                       f"{i.status} with entries {books.entries_of.get(i.id, [])}, but no "
                       "client entered it")


def _one(t: TransferRecord, instruction: _Instruction | None, books: _Books,
         report: CheckReport) -> None:
    """One transfer: what its client was told against its instruction and entries."""
    if t.instruction_id is not None and (instruction is None
                                         or instruction.id != t.instruction_id):
        report.add("key_maps_elsewhere", f"the enter key names instruction "
                                         f"{instruction.id if instruction else None}: "
                                         f"{t.describe()}")
    if instruction is None:
        if t.outcome == OK:
            report.add("acknowledged_not_booked", f"{t.describe()}; no instruction has its key")
        return
    entries = books.entries_of.get(instruction.id, [])
    executed = instruction.status == "executed"
    answered = books.confirm_answers.get((t.user_id, t.confirm_key), instruction.id)
    if answered is not None and answered != instruction.id:
        report.add("confirm_key_other_instruction",
                   f"the confirm key's stored answer names instruction {answered}: "
                   f"{t.describe()}")
    state = (f"in the books: instruction {instruction.id} {instruction.status}, "
             f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'} {entries}")
    if t.outcome == OK and not (executed and len(entries) == 1):
        kind = "booked_twice" if len(entries) > 1 else "acknowledged_not_booked"
        report.add(kind, f"{t.describe()}; {state}")
    elif t.outcome == FAILED and (executed or entries):
        report.add("refused_but_booked", f"{t.describe()}; {state}")
    elif t.outcome == INDETERMINATE and len(entries) > 1:
        report.add("booked_twice", f"{t.describe()}; {state}")
    if executed != bool(entries):
        report.add("status_disagrees_with_books", f"{t.describe()}; {state}")


def _answered_instruction(response: str | None) -> int | None:
    if not response:
        return None
    try:
        data = json.loads(response)
        return int(data["instruction"]["id"])
    except (ValueError, KeyError, TypeError):
        return None


def _audit(session: Session, report: CheckReport) -> None:
    from kinko.audit.service import verify

    result = verify(session)
    report.audit_checked = result.checked
    report.audit_unsealed = result.unsealed
    for problem in result.problems:
        report.add("audit_chain", problem)
    if result.unsealed:
        report.add("audit_unsealed", f"{result.unsealed} events left unsealed after sealing")
