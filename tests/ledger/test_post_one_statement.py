"""The ledger's post is one statement on both databases (PostgreSQL: a data-modifying CTE;
SQLite: an INSERT into the view ``proc_ledger_post``, whose trigger does the work), and a
refused or replayed post writes nothing, even inside a transaction that goes on."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kinko.db import Database
from kinko.errors import IdempotencyMismatch
from kinko.ledger.errors import AccountNotFound, AccountNotUsable, InsufficientFunds
from kinko.ledger.models import Account, AccountState, JournalEntry, Posting
from kinko.ledger.rules import Leg
from kinko.ledger.service import EntryRequest, change_state, post
from tests import factories
from tests.querycount import counting


def _entry(a: int, b: int, amount: int, key: str | None = None) -> EntryRequest:
    return EntryRequest(kind="transfer", idempotency_key=key, memo="m",
                        legs=[Leg(a, -amount, "ﾌﾘｺﾐ"), Leg(b, amount, "ﾌﾘｺﾐ")])


def test_a_post_is_one_statement_and_reports_the_balances_after(db: Database) -> None:
    with db.transaction() as s:
        a = factories.account(s, balance=10_000)
        b = factories.account(s, balance=500)
    with counting(db.engine) as found, db.transaction() as s:
        posted = post(s, _entry(a, b, 3_000, "k-1"), actor="t")
        sent = found.count  # before the commit's audit INSERT
    assert sent == 1, found
    assert posted.balances == {a: 7_000, b: 3_500} and not posted.replayed
    with db.transaction() as s:
        rows = s.execute(select(Posting.account_id, Posting.amount, Posting.balance_after,
                                Posting.description)
                         .where(Posting.entry_id == posted.entry_id)
                         .order_by(Posting.account_id)).all()
        entry = s.get(JournalEntry, posted.entry_id)
        assert entry is not None and entry.idempotency_key == "k-1"
        assert entry.memo == "m" and entry.kind == "transfer"
        assert s.get(Account, a).balance == 7_000  # type: ignore[union-attr]
    assert [tuple(r) for r in rows] == [(a, -3_000, 7_000, "ﾌﾘｺﾐ"), (b, 3_000, 3_500, "ﾌﾘｺﾐ")]


def test_refused_posts_write_nothing_and_the_transaction_goes_on(db: Database) -> None:
    with db.transaction() as s:
        a = factories.account(s, balance=1_000)
        b = factories.account(s)
        stopped = factories.account(s, balance=1_000)
        change_state(s, stopped, AccountState.PAYMENT_STOPPED, actor="t", reason="test")
    with db.transaction() as s:
        entries = s.scalar(select(func.count()).select_from(JournalEntry))
        first = post(s, _entry(a, b, 400, "ok"), actor="t")
        with pytest.raises(InsufficientFunds):
            post(s, _entry(a, b, 601), actor="t")
        with pytest.raises(AccountNotUsable):
            post(s, _entry(stopped, b, 1), actor="t")
        with pytest.raises(AccountNotFound):
            post(s, _entry(a, 999_999_999, 1), actor="t")
        with pytest.raises(IdempotencyMismatch):
            post(s, _entry(a, b, 1, "ok"), actor="t")
        again = post(s, _entry(a, b, 400, "ok"), actor="t")
        assert again.replayed and again.entry_id == first.entry_id
        assert again.balances == first.balances == {a: 600, b: 400}
        last = post(s, _entry(a, b, 600), actor="t")
        assert last.balances == {a: 0, b: 1_000}
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(JournalEntry)) == entries + 2
        assert s.get(Account, a).balance == 0  # type: ignore[union-attr]
        assert s.get(Account, b).balance == 1_000  # type: ignore[union-attr]
        assert s.get(Account, stopped).balance == 1_000  # type: ignore[union-attr]
        assert s.scalar(select(func.count()).select_from(Posting)
                        .where(Posting.entry_id == last.entry_id)) == 2
