"""Ledger use cases. ``post`` is the only way money moves (DESIGN rule 1).

Every function takes the caller's session and never commits: the boundary owns the
transaction. A domain error raised here must make the caller roll back; the PostgreSQL path
changes nothing before its checks pass, so even a caller that catches the error is safe.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import psycopg
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit import buffer as audit_buffer
from kinko.audit.service import record
from kinko.db.copy import copy_rows
from kinko.db.engine import Database
from kinko.errors import DomainError, IdempotencyMismatch
from kinko.idempotency.service import request_hash
from kinko.ledger import repository as repo
from kinko.ledger.errors import (
    AccountExists,
    AccountNotFound,
    HoldNotActive,
    InsufficientFunds,
    InvalidEntry,
)
from kinko.ledger.models import Account, AccountState, AccountType, HoldState
from kinko.ledger.rules import (
    CREDITABLE,
    DEBITABLE,
    AccountSnapshot,
    Leg,
    check_account_fields,
    check_leg,
    ordered,
    validate_legs,
)
from kinko.money import MAX_AMOUNT

# A str as JSON text, as json.dumps(..., ensure_ascii=False) writes it.
_json_text = json.JSONEncoder(ensure_ascii=False).encode


@dataclass(frozen=True)
class EntryRequest:
    kind: str
    legs: Sequence[Leg]
    memo: str = ""
    value_date: date | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class PostedEntry:
    entry_id: int
    balances: dict[int, int] = field(default_factory=dict)  # balance after, per account
    replayed: bool = False


def _hash(entry: EntryRequest) -> str:
    """``request_hash`` of the entry's content, its canonical JSON written out directly (the
    same text ``request_hash`` builds with json.dumps: keys sorted, no spaces, non-ASCII kept;
    tests/ledger pin the two together). A bulk file hashes one per entry."""
    legs = ",".join([f"[{leg.account_id},{leg.amount},{_json_text(leg.description)}]"
                     for leg in ordered(entry.legs)])
    value_date = "null" if entry.value_date is None else f'"{entry.value_date}"'
    text = (f'{{"kind":{_json_text(entry.kind)},"legs":[{legs}],'
            f'"memo":{_json_text(entry.memo)},"value_date":{value_date}}}')
    return hashlib.sha256(text.encode()).hexdigest()


def _hash_by_definition(entry: EntryRequest) -> str:
    """What ``_hash`` must equal (tests)."""
    return request_hash({
        "kind": entry.kind, "memo": entry.memo, "value_date": entry.value_date,
        "legs": [(leg.account_id, leg.amount, leg.description) for leg in ordered(entry.legs)],
    })


def _audit_data(kind: str, legs: Sequence[Leg]) -> str:
    """``canonical({"kind": kind, "legs": [[account, amount], …]})``, written out directly."""
    pairs = ",".join([f"[{leg.account_id},{leg.amount}]" for leg in legs])
    return f'{{"kind":{_json_text(kind)},"legs":[{pairs}]}}'


def _check_request(entry: EntryRequest) -> None:
    validate_legs(entry.legs)
    if not entry.kind or len(entry.kind) > 30:
        raise InvalidEntry(detail="kind must be 1–30 characters")
    if len(entry.memo) > 200:
        raise InvalidEntry(detail="memo longer than 200 characters")
    if entry.idempotency_key is not None and not 0 < len(entry.idempotency_key) <= 100:
        raise InvalidEntry(detail="idempotency key must be 1–100 characters")


def _replay(session: Session, entry: EntryRequest, digest: str) -> PostedEntry:
    assert entry.idempotency_key is not None
    existing = repo.entry_by_key(session, entry.idempotency_key)
    if existing is None:  # pragma: no cover - the key vanished: only a rollback elsewhere
        raise IdempotencyMismatch(detail=entry.idempotency_key)
    if existing.request_hash != digest:
        raise IdempotencyMismatch(detail=entry.idempotency_key)
    postings = repo.postings_of(session, existing.id)
    return PostedEntry(existing.id, {p.account_id: p.balance_after for p in postings},
                       replayed=True)


def _diagnose(accounts: Sequence[AccountSnapshot], legs: Sequence[Leg]) -> None:
    """Raise the error that explains why the checks refused an entry."""
    by_id = {a.id: a for a in accounts}
    for leg in legs:
        account = by_id.get(leg.account_id)
        if account is None:
            raise AccountNotFound(detail=f"account {leg.account_id}")
        check_leg(account, leg.amount)


def _entry_row(entry: EntryRequest, legs: list[Leg], digest: str, actor: str) -> repo.EntryRow:
    now = clock.now()
    return repo.EntryRow(
        kind=entry.kind, memo=entry.memo, value_date=entry.value_date or now.date(),
        created_at=now, idempotency_key=entry.idempotency_key, request_hash=digest,
        audit_actor=actor,
        audit_data=_audit_data(entry.kind, legs),
    )


def post(session: Session, entry: EntryRequest, *, actor: str) -> PostedEntry:
    """Post a balanced entry atomically in the caller's transaction (LED-2, LED-3, LED-4).

    With an idempotency key, a replay returns the first result; a replay with different
    content raises :class:`IdempotencyMismatch`.
    """
    _check_request(entry)
    legs = ordered(entry.legs)
    digest = _hash(entry)
    row = _entry_row(entry, legs, digest, actor)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        posted = _post_pg(session, entry, row, legs, digest)
    elif dialect == "sqlite":
        posted = _post_sqlite(session, entry, row, legs, digest)
    else:
        posted = _post_generic(session, entry, row, legs, digest)
    _expire_loaded(session, legs)
    return posted


# SQLSTATEs after which the one-statement post certainly wrote nothing and may run again:
# serialization failure, deadlock, lock timeout (this process's own retries, as Database.run).
_POST_AGAIN = frozenset({"40001", "40P01", "55P03"})


def post_alone(db: Database, entry: EntryRequest, *, actor: str,
               attempts: int = 12) -> PostedEntry:
    """Post one entry as a transaction of its own (a teller's or a system's single transfer
    that nothing else has to commit with).

    On PostgreSQL the post is one data-modifying statement, atomic by itself, so it is sent on
    a pooled connection in autocommit, without BEGIN and COMMIT and without a Session: one
    round trip and little Python around it (DESIGN "Speed"). A refusal, or a replayed
    idempotency key, is then explained by :func:`post` in an ordinary transaction (the
    statement wrote nothing, so running the checks again is safe). Elsewhere this is
    ``db.run(post, …)``.
    """
    if not db.is_postgres:
        return db.run(post, entry, actor=actor, attempts=attempts)
    _check_request(entry)
    legs = ordered(entry.legs)
    row = _entry_row(entry, legs, _hash(entry), actor)
    for attempt in range(1, attempts + 1):
        pooled = db.engine.raw_connection()
        dbapi: Any = pooled.driver_connection
        try:
            dbapi.autocommit = True
            try:
                result = repo.pg_post_autocommit(dbapi, row, legs)
            finally:
                if not dbapi.closed:
                    dbapi.autocommit = False   # the pool hands out transactional connections
        except psycopg.Error as exc:
            if dbapi.closed:
                pooled.invalidate(exc)         # a lost connection may have committed: raise
                raise
            if exc.sqlstate not in _POST_AGAIN or attempt == attempts:
                raise
            time.sleep(min(0.5, 0.002 * 2**attempt) * (0.5 + random.random()))  # noqa: S311
            continue
        finally:
            pooled.close()
        if result.entry_id is not None:
            return PostedEntry(result.entry_id, result.balances)
        # Refused or replayed: nothing was written; the ordinary path says which and why.
        return db.run(post, entry, actor=actor, attempts=attempts)
    raise AssertionError("unreachable")  # pragma: no cover


def transfer_alone(db: Database, *, debit_account_id: int, credit_account_id: int,
                   amount: int, kind: str = "transfer", memo: str = "",
                   description: str = "", idempotency_key: str | None = None,
                   actor: str) -> PostedEntry:
    """:func:`transfer` as a transaction of its own (see :func:`post_alone`)."""
    return post_alone(db, EntryRequest(
        kind=kind, memo=memo, idempotency_key=idempotency_key,
        legs=[Leg(debit_account_id, -amount, description),
              Leg(credit_account_id, amount, description)],
    ), actor=actor)


def _expire_loaded(session: Session, legs: list[Leg]) -> None:
    """Accounts of the entry that this session has loaded read their new balance when next
    used (the posting's statements bypass the identity map); nothing else is expired."""
    for leg in legs:
        loaded = session.identity_map.get(session.identity_key(Account, leg.account_id))
        if loaded is not None:
            session.expire(loaded)


def _post_pg(session: Session, entry: EntryRequest, row: repo.EntryRow, legs: list[Leg],
             digest: str) -> PostedEntry:
    result = repo.pg_post(session, row, legs)
    if result.entry_id is not None:
        return PostedEntry(result.entry_id, result.balances)
    if entry.idempotency_key is not None and repo.entry_by_key(session, entry.idempotency_key):
        return _replay(session, entry, digest)
    _diagnose(result.accounts, legs)
    raise AssertionError("entry refused without a reason")  # pragma: no cover


def _post_sqlite(session: Session, entry: EntryRequest, row: repo.EntryRow, legs: list[Leg],
                 digest: str) -> PostedEntry:
    """One statement (the ``proc_ledger_post`` trigger), as PostgreSQL's one CTE; a refusal
    or a replay wrote nothing and is explained by the generic path's reads."""
    posted = repo.sqlite_post(session, row, legs)
    if posted is None:
        if entry.idempotency_key is not None and repo.entry_by_key(session,
                                                                   entry.idempotency_key):
            return _replay(session, entry, digest)
        _diagnose(repo.lock_accounts(session, [leg.account_id for leg in legs]), legs)
        raise AssertionError("entry refused without a reason")  # pragma: no cover
    entry_id, balances = posted
    _audit_entry(session, row, entry_id)
    return PostedEntry(entry_id, balances)


def _audit_entry(session: Session, row: repo.EntryRow, entry_id: int) -> None:
    # With the request's other events, in its one audit INSERT (kinko.audit.buffer).
    audit_buffer.add(session, {
        "occurred_at": row.created_at, "actor": row.audit_actor, "action": "ledger.post",
        "subject_type": "journal_entry", "subject_id": str(entry_id), "data": row.audit_data,
    })


def _post_generic(session: Session, entry: EntryRequest, row: repo.EntryRow, legs: list[Leg],
                  digest: str) -> PostedEntry:
    if entry.idempotency_key is not None and repo.entry_by_key(session, entry.idempotency_key):
        return _replay(session, entry, digest)
    accounts = repo.lock_accounts(session, [leg.account_id for leg in legs])
    _diagnose(accounts, legs)
    entry_id = repo.insert_entry(session, row)
    balances: dict[int, int] = {}
    for leg in legs:
        balance = repo.apply_leg(session, leg)
        if balance is None:  # the row changed under us: only possible without IMMEDIATE
            raise InsufficientFunds(detail=f"account {leg.account_id}")
        balances[leg.account_id] = balance
    repo.insert_postings(session, entry_id, legs, balances)
    _audit_entry(session, row, entry_id)
    return PostedEntry(entry_id, balances)


def transfer(
    session: Session,
    *,
    debit_account_id: int,
    credit_account_id: int,
    amount: int,
    kind: str = "transfer",
    memo: str = "",
    description: str = "",
    idempotency_key: str | None = None,
    actor: str,
) -> PostedEntry:
    """Move ``amount`` from one account to another as a two-leg entry."""
    return post(session, EntryRequest(
        kind=kind, memo=memo, idempotency_key=idempotency_key,
        legs=[Leg(debit_account_id, -amount, description),
              Leg(credit_account_id, amount, description)],
    ), actor=actor)


# --- many entries in one transaction ------------------------------------------------------

@dataclass(frozen=True)
class BatchResult:
    posted: list[int]                          # entry ids, in request order (None skipped)
    refused: dict[int, str] = field(default_factory=dict)   # request index → error code


def post_many(session: Session, entries: Sequence[EntryRequest], *, actor: str) -> BatchResult:
    """Post many entries in one transaction: each all-or-nothing, refusals reported.

    Locks every account involved once, in id order, applies the entries in request order
    against the locked figures with the same rules as ``post``, then writes entries,
    postings, net balance movements and audit events with a handful of bulk statements.
    The figures are read under the row locks, so no other writer can interleave; the balance
    UPDATE adds deltas, and the CHECK constraint still guards every row.
    """
    for entry in entries:
        _check_request(entry)
    keys = [e.idempotency_key for e in entries if e.idempotency_key]
    if len(keys) != len(set(keys)):
        raise InvalidEntry(detail="an idempotency key appears twice in the batch")
    existing = repo.existing_keys(session, keys)
    ids = sorted({leg.account_id for e in entries for leg in e.legs})
    figures = {a.id: a for a in repo.lock_accounts(session, ids)}
    now = clock.now()
    # account id → [balance, held, overdraft line, state], moved as entries are accepted.
    working: dict[int, list[Any]] = {
        k: [a.balance, a.held, a.overdraft_limit, a.state] for k, a in figures.items()}
    accepted: list[tuple[EntryRequest, dict[int, int]]] = []
    refused: dict[int, str] = {}
    debitable, creditable = DEBITABLE, CREDITABLE
    for index, entry in enumerate(entries):
        if entry.idempotency_key in existing:
            refused[index] = "REPLAYED"
            continue
        # The rules of check_leg, inline (this loop runs once per entry of a bulk file); a
        # refusal is explained by check_leg itself, in the lock order, as post would.
        after: dict[int, int] = {}
        for leg in entry.legs:
            figure = working.get(leg.account_id)
            amount = leg.amount
            if figure is None or not (
                    figure[3] in debitable and figure[0] - figure[1] + figure[2] + amount >= 0
                    if amount < 0 else figure[3] in creditable):
                refused[index] = _refusal(working, entry)
                break
            after[leg.account_id] = figure[0] + amount
        else:
            for account_id, balance in after.items():
                working[account_id][0] = balance
            accepted.append((entry, after))
    nets = {k: working[k][0] - figures[k].balance for k in figures}
    entry_ids = _write_batch(session, accepted, nets, now, actor)
    return BatchResult(posted=entry_ids, refused=refused)


def _refusal(working: dict[int, list[Any]], entry: EntryRequest) -> str:
    """The error code that ``post`` would give this entry against the working figures."""
    try:
        for leg in ordered(entry.legs):
            figure = working.get(leg.account_id)
            if figure is None:
                raise AccountNotFound(detail=f"account {leg.account_id}")
            check_leg(AccountSnapshot(leg.account_id, *figure), leg.amount)
    except DomainError as exc:
        return exc.code
    raise AssertionError("entry refused without a reason")  # pragma: no cover


def _write_batch(session: Session, accepted: list[tuple[EntryRequest, dict[int, int]]],
                 nets: dict[int, int], now: datetime, actor: str) -> list[int]:
    """Write the accepted entries, their postings, the net balance moves and the audit."""
    pg = session.get_bind().dialect.name == "postgresql"
    today = now.date()
    entries = [(e.kind, e.memo, e.value_date or today, now, e.idempotency_key,
                _hash(e) if e.idempotency_key else None) for e, _ in accepted]
    if not entries:
        entry_ids: list[int] = []
    elif pg:
        entry_ids = repo.reserve_entry_ids(session, len(entries))
        copy_rows(session, "journal_entries",
                       ("id", "kind", "memo", "value_date", "created_at", "idempotency_key",
                        "request_hash"),
                       [(i, *r) for i, r in zip(entry_ids, entries, strict=True)])
    else:
        entry_ids = repo.insert_entries_returning_ids(session, [repo.EntryRow(
            kind=r[0], memo=r[1], value_date=r[2], created_at=r[3], idempotency_key=r[4],
            request_hash=r[5], audit_actor=actor, audit_data="") for r in entries])
    postings: list[tuple[int, int, int, int, str]] = []
    audit: list[tuple[Any, ...]] = []
    add_posting, add_event = postings.append, audit.append
    for entry_id, (entry, after) in zip(entry_ids, accepted, strict=True):
        for leg in entry.legs:
            add_posting((entry_id, leg.account_id, leg.amount, after[leg.account_id],
                         leg.description))
        add_event((now, actor, "ledger.post", "journal_entry", str(entry_id),
                   _audit_data(entry.kind, entry.legs)))
    posting_columns = ("entry_id", "account_id", "amount", "balance_after", "description")
    audit_columns = ("occurred_at", "actor", "action", "subject_type", "subject_id", "data")
    if pg:
        # COPY and one UPDATE: a few round trips for the whole batch (DESIGN "Speed").
        copy_rows(session, "postings", posting_columns, postings)
        repo.add_to_balances_pg(session, nets)
        copy_rows(session, "audit_events", audit_columns, audit)
    else:
        repo.insert_posting_rows(session, [dict(zip(posting_columns, p, strict=True))
                                           for p in postings])
        repo.add_to_balances(session, nets)
        repo.insert_audit(session, [dict(zip(audit_columns, a, strict=True)) for a in audit])
    return entry_ids


# --- holds --------------------------------------------------------------------------------

def place_hold(session: Session, *, account_id: int, amount: int, reason: str, actor: str,
               idempotency_key: str | None = None) -> int:
    """Set money aside: it stays in the balance but is no longer withdrawable (LED-3)."""
    if type(amount) is not int or not 0 < amount <= MAX_AMOUNT:
        raise InvalidEntry(detail=f"hold amount {amount!r} is out of range")
    if idempotency_key is not None and (old := repo.hold_by_key(session, idempotency_key)):
        if (old.account_id, old.amount) != (account_id, amount):
            raise IdempotencyMismatch(detail=idempotency_key)
        return old.id
    if not repo.reserve(session, account_id, amount):
        accounts = repo.lock_accounts(session, [account_id])
        _diagnose(accounts, [Leg(account_id, -amount)])
        raise InsufficientFunds(detail=f"account {account_id}")  # pragma: no cover
    hold_id = repo.insert_hold(session, account_id=account_id, amount=amount, reason=reason,
                               created_at=clock.now(), idempotency_key=idempotency_key)
    record(session, actor=actor, action="ledger.hold", subject_type="account",
           subject_id=account_id, data={"hold": hold_id, "amount": amount, "reason": reason})
    return hold_id


def release_hold(session: Session, hold_id: int, *, actor: str,
                 captured: bool = False) -> tuple[int, int]:
    """End a hold (released, or captured by an entry posted in the same transaction)."""
    state = HoldState.CAPTURED if captured else HoldState.RELEASED
    done = repo.finish_hold(session, hold_id, state, clock.now())
    if done is None:
        raise HoldNotActive(detail=f"hold {hold_id}")
    record(session, actor=actor, action=f"ledger.hold.{state.value}", subject_type="account",
           subject_id=done[0], data={"hold": hold_id, "amount": done[1]})
    return done


# --- accounts -----------------------------------------------------------------------------

def change_state(session: Session, account_id: int, state: AccountState, *, actor: str,
                 reason: str) -> None:
    """Stop, seize, reopen or close an account (LED-4), audited with the reason."""
    old = repo.set_state(session, account_id, state)
    if old is None:
        raise AccountNotFound(detail=f"account {account_id}")
    record(session, actor=actor, action="account.state", subject_type="account",
           subject_id=account_id, data={"from": old.value, "to": state.value, "reason": reason})


def get_account(session: Session, account_id: int) -> Account:
    account = repo.get_account(session, account_id)
    if account is None:
        raise AccountNotFound(detail=f"account {account_id}")
    return account


@dataclass(frozen=True)
class LedgerCheck:
    debits: int
    credits: int
    mismatched: dict[int, tuple[int, int]]   # account → (stored, from postings)

    @property
    def ok(self) -> bool:
        return self.debits == self.credits and not self.mismatched


def check_books(session: Session) -> LedgerCheck:
    """Prove Σ debits = Σ credits and rebuild every balance from its postings (LED-2)."""
    debits, credits = repo.trial_balance(session)
    rebuilt = repo.balances_from_postings(session)
    stored = repo.stored_balances(session)
    mismatched = {k: (v, rebuilt.get(k, 0)) for k, v in stored.items() if v != rebuilt.get(k, 0)}
    return LedgerCheck(debits, credits, mismatched)


def open_account(
    session: Session,
    *,
    branch_code: str,
    number: str,
    account_type: AccountType,
    holder_kana: str,
    customer_id: int | None,
    actor: str,
    overdraft_limit: int = 0,
    currency: str = "JPY",
) -> Account:
    """Open an account (PRD-1): 3-digit branch, 7-digit number, half-width-kana holder name."""
    check_account_fields(branch_code=branch_code, number=number, holder_kana=holder_kana,
                         account_type=account_type, overdraft_limit=overdraft_limit)
    if repo.find_account(session, branch_code, number) is not None:
        raise AccountExists(detail=f"{branch_code}-{number}")
    account = Account(branch_code=branch_code, number=number, type=account_type,
                      holder_kana=holder_kana, customer_id=customer_id, currency=currency,
                      overdraft_limit=overdraft_limit, opened_on=clock.today(),
                      state=AccountState.ACTIVE, balance=0, held=0)
    session.add(account)
    session.flush()
    record(session, actor=actor, action="account.open", subject_type="account",
           subject_id=account.id, data={"branch": branch_code, "number": number,
                                        "type": account_type.value})
    return account
