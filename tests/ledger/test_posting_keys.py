"""A posting always belongs to an existing entry and moves an existing account (LED-2: the
ledger rebuilds every balance from its entries). SQLite holds this with foreign keys; on
PostgreSQL the keys are checked once per statement by triggers (migration 0019), for
INSERT and COPY alike, and the parents' side refuses to lose a row a posting refers to."""

from __future__ import annotations

import threading
from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine, delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from kinko.db import Database
from kinko.db.copy import copy_text
from kinko.ledger.errors import AccountNotFound
from kinko.ledger.models import Account, JournalEntry, Posting
from kinko.ledger.rules import Leg
from kinko.ledger.service import EntryRequest, post, post_many, transfer
from tests import factories

pytestmark = pytest.mark.req("LED-2")

MISSING = 987_654_321


def _counts(db: Database) -> tuple[int, int]:
    with db.transaction() as s:
        return (s.scalar(select(func.count()).select_from(Posting)) or 0,
                s.scalar(select(func.count()).select_from(JournalEntry)) or 0)


def _setup(db: Database) -> tuple[int, int, int]:
    """Two funded accounts and one entry between them: (debit, credit, entry id)."""
    with db.transaction() as s:
        a, b = factories.account(s, balance=1_000), factories.account(s)
        entry = transfer(s, debit_account_id=a, credit_account_id=b, amount=10,
                         idempotency_key="k-setup", actor="t").entry_id
    return a, b, entry


def _row(entry: int, account: int, amount: int) -> dict[str, Any]:
    return {"entry_id": entry, "account_id": account, "amount": amount,
            "balance_after": 0, "description": ""}


@pytest.mark.parametrize("bad", ["account", "entry"])
def test_an_insert_naming_no_parent_is_refused_whole(db: Database, bad: str) -> None:
    a, b, entry = _setup(db)
    before = _counts(db)
    wrong = (_row(entry, MISSING, 5) if bad == "account" else _row(MISSING, a, 5))
    with pytest.raises(IntegrityError), db.transaction() as s:
        # One multi-row INSERT: the good rows go with the bad one.
        s.execute(insert(Posting).values([_row(entry, a, -5), _row(entry, b, 5), wrong]))
    assert _counts(db) == before


def test_the_ledger_refuses_an_unknown_account_and_writes_nothing(db: Database) -> None:
    a, _, _ = _setup(db)
    before = _counts(db)
    with pytest.raises(AccountNotFound), db.transaction() as s:
        post(s, EntryRequest(kind="t", legs=[Leg(a, -5), Leg(MISSING, 5)]), actor="t")
    with db.transaction() as s:
        result = post_many(s, [EntryRequest(kind="t", legs=[Leg(a, -5), Leg(MISSING, 5)],
                                            idempotency_key="k-many")], actor="t")
        assert result.posted == [] and result.refused[0] == "ACCOUNT_NOT_FOUND"
    assert _counts(db) == before


def test_an_account_with_postings_cannot_be_deleted(db: Database) -> None:
    _, b, entry = _setup(db)
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.execute(delete(Account).where(Account.id == b))
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.execute(delete(JournalEntry).where(JournalEntry.id == entry))
    with db.transaction() as s:
        assert s.get(Account, b) is not None and s.get(JournalEntry, entry) is not None
        # An account nothing refers to can go (as with the foreign key).
        lone = factories.account(s)
        s.execute(delete(Account).where(Account.id == lone))


@pytest.mark.parametrize("bad", ["account", "entry"])
def test_a_copy_naming_no_parent_is_refused_whole(db: Database, pg_url: str, bad: str) -> None:
    a, b, entry = _setup(db)
    before = _counts(db)
    wrong = f"{entry}\t{MISSING}\t5\t0\t\n" if bad == "account" else f"{MISSING}\t{a}\t5\t0\t\n"
    # COPY runs on the driver's cursor: the driver's own error class, not SQLAlchemy's.
    with pytest.raises(psycopg.errors.ForeignKeyViolation) as caught, db.transaction() as s:
        copy_text(s, "postings", ("entry_id", "account_id", "amount", "balance_after",
                                  "description"),
                  f"{entry}\t{a}\t-5\t0\t\n{entry}\t{b}\t5\t0\t\n{wrong}")
    message = str(caught.value)
    assert str(MISSING) in message and ("account" if bad == "account" else "entry") in message
    assert _counts(db) == before


def test_keys_never_change_and_truncate_is_refused(db: Database, pg_url: str) -> None:
    a, b, entry = _setup(db)
    for statement in (update(Account).where(Account.id == b).values(id=MISSING),
                      update(JournalEntry).where(JournalEntry.id == entry).values(id=MISSING),
                      update(Posting).where(Posting.account_id == b).values(account_id=a),
                      text("TRUNCATE accounts, journal_entries CASCADE")):
        with pytest.raises(IntegrityError), db.transaction() as s:
            s.execute(statement)
    with db.transaction() as s:
        # A balance UPDATE names no key column: the key triggers do not even fire.
        s.execute(update(Account).where(Account.id == b).values(balance=Account.balance))


def test_a_delete_waits_for_the_postings_being_written_then_refuses(db: Database,
                                                                     pg_url: str) -> None:
    """The parent's side without row locks: the delete waits on the SHARE lock for the
    transaction writing a posting, then sees the posting and refuses."""
    with db.transaction() as s:
        a, b = factories.account(s, balance=1_000), factories.account(s)
    writer = db.engine.connect()
    outcome: dict[str, BaseException | None] = {}
    try:
        with Session(bind=writer) as s:
            transfer(s, debit_account_id=a, credit_account_id=b, amount=10,
                     idempotency_key="k-race", actor="t")   # not committed yet

            def delete_b() -> None:
                engine = create_engine(pg_url)
                try:
                    with engine.begin() as conn:
                        conn.execute(text("SET lock_timeout = '20s'"))
                        conn.execute(delete(Account).where(Account.id == b))
                    outcome["error"] = None
                except DBAPIError as exc:
                    outcome["error"] = exc
                finally:
                    engine.dispose()

            deleter = threading.Thread(target=delete_b)
            deleter.start()
            deleter.join(1.0)
            assert deleter.is_alive(), "the delete must wait for the posting's transaction"
            s.commit()
        deleter.join(30)
    finally:
        writer.close()
    error: Any = outcome["error"]
    assert isinstance(error, IntegrityError) and error.orig.sqlstate == "23503"
    with db.transaction() as s:
        assert s.get(Account, b) is not None
