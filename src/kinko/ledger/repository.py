"""Every ledger query. Two write paths with one meaning:

* PostgreSQL: one data-modifying statement per entry (lock in id order, check, insert the
  entry, move the balances, insert postings and the audit event) — one round trip, because
  round trips are the cost (DESIGN "Speed"). The new balance is computed from the locked row
  (``lk``), not from the UPDATE's own scan: PostgreSQL checks CHECK constraints on the new row
  *before* it notices a concurrent update and re-reads the row, so a value computed from the
  statement's older snapshot could trip ``within_overdraft`` spuriously (seen under load).
* SQLite: one INSERT into the view ``proc_ledger_post``, whose INSTEAD OF trigger (migration
  0020) makes the same checks and writes (:func:`sqlite_post`): SQLite has no data-modifying
  CTEs, and a trigger's work is part of the statement that fires it.
* Any other database: the same steps as separate statements (``lock_accounts``,
  ``insert_entry``, ``apply_leg``, ``insert_postings``). SQLite has a single writer and Kinko
  begins every transaction IMMEDIATE, so the rows read there are already locked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Column,
    MetaData,
    String,
    Table,
    Text,
    any_,
    bindparam,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from kinko.audit.models import AuditEvent
from kinko.db.base import table_of
from kinko.db.pgarray import int_array, int_array_param
from kinko.ledger.models import Account, AccountState, Hold, HoldState, JournalEntry, Posting
from kinko.ledger.rules import CREDITABLE, DEBITABLE, AccountSnapshot, Leg


@dataclass(frozen=True, slots=True)
class EntryRow:
    kind: str
    memo: str
    value_date: date
    created_at: datetime
    idempotency_key: str | None
    request_hash: str | None
    audit_actor: str
    audit_data: str


@dataclass(frozen=True, slots=True)
class PgPostResult:
    entry_id: int | None          # None: refused by the checks, or the key already existed
    accounts: list[AccountSnapshot]
    balances: dict[int, int]      # balance after, per account, when posted


def _states(states: frozenset[AccountState]) -> str:
    return ", ".join(f"'{s.value}'" for s in sorted(states))


@cache
def _pg_post_sql(n: int) -> str:
    """The one-statement post for an entry of ``n`` legs (cached per leg count), in the
    driver's own ``%(name)s`` form: it is sent with ``exec_driver_sql``, skipping SQLAlchemy's
    per-call statement handling on the hottest path (a measured 20–30 % of client CPU)."""
    values = ", ".join(
        f"(CAST(:a{i} AS bigint), CAST(:m{i} AS bigint), CAST(:d{i} AS varchar))"
        for i in range(n)
    )
    # Only integers and enum literals are formatted in; every value is a bound parameter.
    sql = f"""
WITH legs(id, amount, descr) AS (VALUES {values}),
lk AS (
  SELECT a.id, a.balance, a.held, a.overdraft_limit, a.state
  FROM accounts a WHERE a.id IN (SELECT id FROM legs) ORDER BY a.id FOR UPDATE
),
chk AS (
  SELECT count(*) = {n} AND coalesce(bool_and(
    CASE WHEN v.amount < 0
      THEN lk.state IN ({_states(DEBITABLE)})
           AND lk.balance - lk.held + lk.overdraft_limit + v.amount >= 0
      ELSE lk.state IN ({_states(CREDITABLE)}) END), false) AS ok
  FROM lk JOIN legs v ON v.id = lk.id
),
e AS (
  INSERT INTO journal_entries (kind, memo, value_date, created_at, idempotency_key, request_hash)
  SELECT :kind, :memo, :value_date, :created_at, :ikey, :rhash WHERE (SELECT ok FROM chk)
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING id
),
u AS (
  UPDATE accounts a SET balance = lk.balance + v.amount
  FROM lk JOIN legs v ON v.id = lk.id, e WHERE a.id = lk.id
  RETURNING a.id, a.balance, v.amount, v.descr, e.id AS entry_id
),
p AS (
  INSERT INTO postings (entry_id, account_id, amount, balance_after, description)
  SELECT entry_id, id, amount, balance, descr FROM u
),
au AS (
  INSERT INTO audit_events (occurred_at, actor, action, subject_type, subject_id, data)
  SELECT :created_at, :actor, 'ledger.post', 'journal_entry', CAST(e.id AS varchar), :adata
  FROM e
)
SELECT (SELECT id FROM e) AS entry_id,
       -- the locked figures are only needed to explain a refusal
       CASE WHEN EXISTS (SELECT 1 FROM e) THEN NULL ELSE
         (SELECT json_agg(json_build_array(id, balance, held, overdraft_limit, state)) FROM lk)
       END AS accounts,
       (SELECT json_agg(json_build_array(id, balance)) FROM u) AS balances
"""  # noqa: S608
    return re.sub(r":(\w+)", r"%(\1)s", sql)


def _pg_post_params(row: EntryRow, legs: Sequence[Leg]) -> dict[str, Any]:
    params: dict[str, Any] = {
        "kind": row.kind, "memo": row.memo, "value_date": row.value_date,
        "created_at": row.created_at, "ikey": row.idempotency_key, "rhash": row.request_hash,
        "actor": row.audit_actor, "adata": row.audit_data,
    }
    for i, leg in enumerate(legs):
        params[f"a{i}"] = leg.account_id
        params[f"m{i}"] = leg.amount
        params[f"d{i}"] = leg.description
    return params


def _pg_post_result(result: Any) -> PgPostResult:
    accounts = [
        AccountSnapshot(id=a[0], balance=a[1], held=a[2], overdraft_limit=a[3],
                        state=AccountState(a[4]))
        for a in (result[1] or [])
    ]
    balances = {b[0]: b[1] for b in (result[2] or [])}
    return PgPostResult(result[0], accounts, balances)


def pg_post(session: Session, row: EntryRow, legs: Sequence[Leg]) -> PgPostResult:
    """The one-statement post in the session's transaction (through SQLAlchemy, so that the
    statement is seen by the engine's events like every other)."""
    return _pg_post_result(session.connection().exec_driver_sql(
        _pg_post_sql(len(legs)), _pg_post_params(row, legs)).one())


def pg_post_autocommit(dbapi: Any, row: EntryRow, legs: Sequence[Leg]) -> PgPostResult:
    """The one-statement post on a bare psycopg connection in autocommit: the statement is its
    own transaction, one round trip, and nothing of SQLAlchemy's per-call work runs around it
    (for ``service.post_alone``). Prepared on the server from the first call."""
    cursor = dbapi.execute(_pg_post_sql(len(legs)), _pg_post_params(row, legs), prepare=True)
    return _pg_post_result(cursor.fetchone())


# SQLite: the view whose INSTEAD OF trigger posts an entry (migration 0020). Not in the models'
# metadata (it is no table); the columns carry the journal entry's types, so that dates and
# times are written as the ORM writes them.
_ENTRY = table_of(JournalEntry).c
_SQLITE_POST = Table(
    "proc_ledger_post", MetaData(),
    *(Column(name, _ENTRY[name].type) for name in (
        "kind", "memo", "value_date", "created_at", "idempotency_key", "request_hash")),
    Column("legs", Text),
)


@cache
def _sqlite_post_statement() -> Any:
    """The INSERT into ``proc_ledger_post``, built once (every column bound); RETURNING reads
    the rows as the trigger left them: the entry is the newest (SQLite gives a new row the
    highest id), and the transaction holds the database's only write lock."""
    return insert(_SQLITE_POST).values(
        {c.name: bindparam(c.name, type_=c.type) for c in _SQLITE_POST.c}
    ).returning(
        literal_column("(SELECT max(id) FROM journal_entries)"),
        literal_column(
            "(SELECT json_group_array(json_array(a.id, a.balance)) FROM accounts AS a"
            " WHERE a.id IN (SELECT json_extract(l.value, '$[0]') FROM json_each(legs) AS l))"),
    )


def sqlite_post(session: Session, row: EntryRow, legs: Sequence[Leg]
                ) -> tuple[int, dict[int, int]] | None:
    """SQLite: post the entry in one statement (the view's trigger checks each leg as
    ``rules.check_leg`` does, inserts the entry, moves the balances and inserts the postings);
    return (entry id, balance after per account), or None when nothing was written: a
    replayed key, an unknown account or a leg refused (the caller explains which)."""
    found: Any = session.execute(_sqlite_post_statement(), {
        "kind": row.kind, "memo": row.memo, "value_date": row.value_date,
        "created_at": row.created_at, "idempotency_key": row.idempotency_key,
        "request_hash": row.request_hash,
        "legs": json.dumps([[leg.account_id, leg.amount, leg.description] for leg in legs],
                           ensure_ascii=False),
    }).one_or_none()
    if found is None:
        return None
    return found[0], dict(json.loads(found[1]))


def lock_accounts(session: Session, account_ids: Sequence[int]) -> list[AccountSnapshot]:
    """Lock the accounts in id order and return their current figures."""
    ids = sorted(set(account_ids))
    # On PostgreSQL the ids travel as one array parameter (one text literal, see
    # kinko.db.pgarray): a large batch (post_many) then costs one bind instead of one per id,
    # in the driver and in the planner.
    match = (Account.id == any_(int_array_param("lock_ids", ids))
             if session.get_bind().dialect.name == "postgresql" else Account.id.in_(ids))
    rows = session.execute(
        select(Account.id, Account.balance, Account.held, Account.overdraft_limit, Account.state)
        .where(match)
        .order_by(Account.id)
        .with_for_update()
    ).all()
    return [AccountSnapshot(r.id, r.balance, r.held, r.overdraft_limit, r.state) for r in rows]


def read_accounts(session: Session, account_ids: Sequence[int]) -> list[AccountSnapshot]:
    """The accounts' current figures, not locked (a caller that locks them later checks
    again under the lock)."""
    rows = session.execute(
        select(Account.id, Account.balance, Account.held, Account.overdraft_limit, Account.state)
        .where(Account.id.in_(sorted(set(account_ids))))).all()
    return [AccountSnapshot(r.id, r.balance, r.held, r.overdraft_limit, r.state) for r in rows]


def insert_entry(session: Session, row: EntryRow) -> int:
    return session.execute(
        insert(JournalEntry).values(
            kind=row.kind, memo=row.memo, value_date=row.value_date, created_at=row.created_at,
            idempotency_key=row.idempotency_key, request_hash=row.request_hash,
        ).returning(JournalEntry.id)
    ).scalar_one()


def apply_leg(session: Session, leg: Leg) -> int | None:
    """Move one balance under the same conditions the rules checked; None if they fail now."""
    cond = (Account.id == leg.account_id)
    if leg.amount < 0:
        cond = cond & Account.state.in_(DEBITABLE) & (
            Account.balance - Account.held + Account.overdraft_limit + leg.amount >= 0
        )
    else:
        cond = cond & Account.state.in_(CREDITABLE)
    return session.execute(
        update(Account).where(cond).values(balance=Account.balance + leg.amount)
        .returning(Account.balance)
    ).scalar_one_or_none()


def insert_postings(session: Session, entry_id: int, legs: Sequence[Leg],
                    balances: dict[int, int]) -> None:
    session.execute(
        insert(Posting),
        [
            {"entry_id": entry_id, "account_id": leg.account_id, "amount": leg.amount,
             "balance_after": balances[leg.account_id], "description": leg.description}
            for leg in legs
        ],
    )


def insert_audit(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(AuditEvent), rows)


def entry_by_key(session: Session, key: str) -> JournalEntry | None:
    return session.execute(
        select(JournalEntry).where(JournalEntry.idempotency_key == key)
    ).scalar_one_or_none()


def entries_by_keys(session: Session, keys: Sequence[str]) -> dict[str, JournalEntry]:
    if not keys:
        return {}
    rows = session.execute(
        select(JournalEntry).where(JournalEntry.idempotency_key.in_(keys))
    ).scalars()
    return {e.idempotency_key: e for e in rows if e.idempotency_key}


def existing_keys(session: Session, keys: Sequence[str]) -> set[str]:
    """Which of ``keys`` already name an entry (one array parameter on PostgreSQL, however
    many keys: a 500-entry batch is one bind, not 500 in the statement text)."""
    if not keys:
        return set()
    if session.get_bind().dialect.name == "postgresql":
        match = JournalEntry.idempotency_key == any_(
            bindparam("keys", list(keys), type_=ARRAY(String(100))))
    else:
        match = JournalEntry.idempotency_key.in_(keys)
    return {k for k in session.execute(select(JournalEntry.idempotency_key).where(match))
            .scalars() if k is not None}


def postings_of(session: Session, entry_id: int) -> list[Posting]:
    return list(session.execute(
        select(Posting).where(Posting.entry_id == entry_id).order_by(Posting.account_id)
    ).scalars())


def account_ids_existing(session: Session, ids: Sequence[int]) -> set[int]:
    return set(session.execute(select(Account.id).where(Account.id.in_(ids))).scalars())


def add_to_balances(session: Session, nets: dict[int, int]) -> None:
    """Apply net movements, in id order; the CHECK constraint still guards each row."""
    moved = [{"b_id": k, "b_net": v} for k, v in sorted(nets.items()) if v]
    if not moved:  # every entry of the batch refused: nothing moves
        return
    session.connection().execute(
        update(table_of(Account))
        .where(table_of(Account).c.id == bindparam("b_id"))
        .values(balance=table_of(Account).c.balance + bindparam("b_net")),
        moved,
    )


def insert_entries_returning_ids(session: Session, rows: Sequence[EntryRow]) -> list[int]:
    result = session.execute(
        insert(JournalEntry).returning(JournalEntry.id, sort_by_parameter_order=True),
        [
            {"kind": r.kind, "memo": r.memo, "value_date": r.value_date,
             "created_at": r.created_at, "idempotency_key": r.idempotency_key,
             "request_hash": r.request_hash}
            for r in rows
        ],
    )
    return list(result.scalars())


def insert_posting_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(Posting), rows)


# --- holds -------------------------------------------------------------------------------

def reserve(session: Session, account_id: int, amount: int) -> bool:
    """Raise ``held`` only if the withdrawable amount covers it (one conditional UPDATE)."""
    return session.execute(
        update(Account)
        .where(
            Account.id == account_id,
            Account.state.in_(DEBITABLE),
            Account.balance - Account.held + Account.overdraft_limit - amount >= 0,
        )
        .values(held=Account.held + amount)
        .returning(Account.id)
    ).scalar_one_or_none() is not None


def insert_hold(session: Session, **values: Any) -> int:
    return session.execute(insert(Hold).values(**values).returning(Hold.id)).scalar_one()


def finish_hold(session: Session, hold_id: int, state: HoldState, at: datetime
                ) -> tuple[int, int] | None:
    """Mark an active hold released/captured; return (account_id, amount) or None if not active."""
    row = session.execute(
        update(Hold).where(Hold.id == hold_id, Hold.state == HoldState.ACTIVE)
        .values(state=state, released_at=at)
        .returning(Hold.account_id, Hold.amount)
    ).one_or_none()
    if row is None:
        return None
    session.execute(
        update(Account).where(Account.id == row.account_id).values(held=Account.held - row.amount)
    )
    return row.account_id, row.amount


def hold_by_key(session: Session, key: str) -> Hold | None:
    return session.execute(select(Hold).where(Hold.idempotency_key == key)).scalar_one_or_none()


# --- reading -----------------------------------------------------------------------------

def get_account(session: Session, account_id: int) -> Account | None:
    return session.get(Account, account_id)


def find_account(session: Session, branch_code: str, number: str) -> Account | None:
    return session.execute(
        select(Account).where(Account.branch_code == branch_code, Account.number == number)
    ).scalar_one_or_none()


def trial_balance(session: Session) -> tuple[int, int]:
    """(Σ debits, Σ credits) over every posting, as positive numbers (LED-2)."""
    debits = session.execute(
        select(func.coalesce(func.sum(-Posting.amount), 0)).where(Posting.amount < 0)
    ).scalar_one()
    credits = session.execute(
        select(func.coalesce(func.sum(Posting.amount), 0)).where(Posting.amount > 0)
    ).scalar_one()
    return int(debits), int(credits)


def balances_from_postings(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(Posting.account_id, func.sum(Posting.amount)).group_by(Posting.account_id)
    ).all()
    return {r[0]: int(r[1]) for r in rows}


def stored_balances(session: Session) -> dict[int, int]:
    return {r[0]: r[1] for r in session.execute(select(Account.id, Account.balance)).all()}


def set_state(session: Session, account_id: int, state: AccountState) -> AccountState | None:
    old = session.execute(
        select(Account.state).where(Account.id == account_id).with_for_update()
    ).scalar_one_or_none()
    if old is None:
        return None
    session.execute(update(Account).where(Account.id == account_id).values(state=state))
    return old


# --- PostgreSQL bulk path (post_many) -----------------------------------------------------

def reserve_entry_ids(session: Session, n: int) -> list[int]:
    """``n`` fresh journal entry ids from the table's own sequence, in one round trip, so the
    entries and their postings can be streamed with COPY (which returns nothing)."""
    return list(session.connection().exec_driver_sql(
        "SELECT nextval(pg_get_serial_sequence('journal_entries', 'id')) "
        "FROM generate_series(1, %(n)s)", {"n": n}).scalars())


def add_to_balances_pg(session: Session, nets: dict[int, int]) -> None:
    """All net movements in one UPDATE (the rows are already locked in id order)."""
    moved = sorted((k, v) for k, v in nets.items() if v)
    if moved:
        session.connection().exec_driver_sql(
            "UPDATE accounts a SET balance = a.balance + v.net "
            "FROM unnest(%(ids)s::bigint[], %(nets)s::bigint[]) AS v(id, net) WHERE a.id = v.id",
            {"ids": int_array(k for k, _ in moved), "nets": int_array(v for _, v in moved)})
