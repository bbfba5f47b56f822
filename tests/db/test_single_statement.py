"""``Database.run_single_statement``: a use case that writes with one statement (the ledger's
post on PostgreSQL) goes to the server in one round trip, no BEGIN and no COMMIT, and is still
all or nothing; on SQLite it is an ordinary transaction."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from kinko.db import Database
from kinko.ledger.errors import InsufficientFunds
from kinko.ledger.models import Account
from kinko.ledger.service import PostedEntry, check_books, transfer
from tests import factories
from tests.querycount import counting


def _accounts(db: Database) -> tuple[int, int]:
    with db.transaction() as s:
        return factories.account(s, balance=1_000), factories.account(s)


def _balances(db: Database, *ids: int) -> list[int]:
    with db.transaction() as s:
        return [s.get(Account, i).balance for i in ids]  # type: ignore[union-attr]


def test_a_post_is_one_statement_outside_any_transaction_on_postgresql(pg_url: str,
                                                                        db: Database) -> None:
    debit, credit = _accounts(db)
    states: list[str] = []

    def post(s: Session) -> PostedEntry:
        done = transfer(s, debit_account_id=debit, credit_account_id=credit, amount=300,
                        idempotency_key="single-1", actor="test")
        info = s.connection().connection.driver_connection.info  # type: ignore[union-attr]
        states.append(info.transaction_status.name)
        return done

    with counting(db.engine) as found:
        posted = db.run_single_statement(post)
    assert found.count == 1 and "BEGIN" not in " ".join(found.seen).upper()
    assert states == ["IDLE"]          # nothing left open: the statement committed itself
    assert posted.balances == {debit: 700, credit: 300}
    assert _balances(db, debit, credit) == [700, 300]


def test_a_refused_post_writes_nothing(db: Database) -> None:
    debit, credit = _accounts(db)
    with pytest.raises(InsufficientFunds):
        db.run_single_statement(transfer, debit_account_id=debit, credit_account_id=credit,
                                amount=5_000, idempotency_key="single-2", actor="test")
    assert _balances(db, debit, credit) == [1_000, 0]
    # A replay of an accepted key returns the first result and moves nothing again.
    first = db.run_single_statement(transfer, debit_account_id=debit, credit_account_id=credit,
                                    amount=100, idempotency_key="single-3", actor="test")
    again = db.run_single_statement(transfer, debit_account_id=debit, credit_account_id=credit,
                                    amount=100, idempotency_key="single-3", actor="test")
    assert again.replayed and again.entry_id == first.entry_id
    assert _balances(db, debit, credit) == [900, 100]
    with db.transaction() as s:
        assert check_books(s).ok


def test_concurrent_single_statement_posts_conserve_money(pg_url: str, db: Database) -> None:
    """Eight threads moving money around three accounts, each post its own autocommitted
    statement: every refusal is clean, the total is conserved, no balance goes negative."""
    from concurrent.futures import ThreadPoolExecutor
    from itertools import permutations

    with db.transaction() as s:
        ids = [factories.account(s, balance=500) for _ in range(3)]
    pairs = list(permutations(ids, 2))

    def client(n: int) -> int:
        refused = 0
        for k in range(25):
            debit, credit = pairs[(n + k) % len(pairs)]
            try:
                db.run_single_statement(transfer, debit_account_id=debit,
                                        credit_account_id=credit, amount=70 + n,
                                        idempotency_key=f"c{n}-{k}", actor="test")
            except InsufficientFunds:
                refused += 1
        return refused

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(client, range(8)))
    balances = _balances(db, *ids)
    assert sum(balances) == 1_500 and min(balances) >= 0
    with db.transaction() as s:
        assert check_books(s).ok
