"""post_many: many entries in one transaction, each all-or-nothing (LED-2, LED-3); on
PostgreSQL written with COPY, on SQLite with bulk INSERTs — the same outcome."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from kinko.audit.models import AuditEvent
from kinko.audit.service import canonical
from kinko.db import Database
from kinko.ledger import service
from kinko.ledger.models import Account, JournalEntry, Posting
from kinko.ledger.rules import Leg
from kinko.ledger.service import EntryRequest, check_books, post_many, transfer
from tests import factories

pytestmark = pytest.mark.req("LED-2")


def test_batch_posts_the_valid_entries_and_reports_the_rest(db: Database) -> None:
    with db.transaction() as s:
        a = factories.account(s, balance=10_000)
        b = factories.account(s)
        c = factories.account(s, balance=500)
    db.run(lambda s: transfer(s, debit_account_id=a, credit_account_id=b, amount=1,
                              idempotency_key="already", actor="t"))
    entries = [
        EntryRequest(kind="t", legs=[Leg(a, -4_000, "x"), Leg(b, 4_000, "x")]),
        EntryRequest(kind="t", legs=[Leg(c, -600), Leg(b, 600)]),           # short: refused
        EntryRequest(kind="t", legs=[Leg(a, -5_000), Leg(c, 5_000)]),
        EntryRequest(kind="t", legs=[Leg(c, -5_400), Leg(b, 5_400)]),       # now covered
        EntryRequest(kind="t", legs=[Leg(a, -1), Leg(999_999, 1)]),         # unknown account
        EntryRequest(kind="t", legs=[Leg(a, -1), Leg(b, 1)], idempotency_key="already"),
        EntryRequest(kind="t", legs=[Leg(a, -999), Leg(b, 999)], idempotency_key="fresh"),
    ]
    result = db.run(lambda s: post_many(s, entries, actor="batch"))
    assert len(result.posted) == 4
    assert result.refused == {1: "INSUFFICIENT_FUNDS", 4: "ACCOUNT_NOT_FOUND", 5: "REPLAYED"}
    with db.transaction() as s:
        balances = {i: s.get(Account, i).balance for i in (a, b, c)}  # type: ignore[union-attr]
        assert balances == {a: 10_000 - 1 - 4_000 - 5_000 - 999, b: 1 + 4_000 + 5_400 + 999,
                            c: 500 + 5_000 - 5_400}
        assert check_books(s).ok
        # each posting's balance_after follows the order of the batch
        after_c = s.scalars(select(Posting.balance_after).where(Posting.account_id == c)
                            .order_by(Posting.id)).all()
        assert after_c[-2:] == [5_500, 100]
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.actor == "batch")) == 4
        assert s.scalar(select(JournalEntry.id).where(
            JournalEntry.idempotency_key == "fresh")) in result.posted
        # ids continue the table's own sequence, so a later single post does not collide
    single = db.run(lambda s: transfer(s, debit_account_id=b, credit_account_id=a, amount=1,
                                       actor="t"))
    assert single.entry_id > max(result.posted)


@pytest.mark.req("INS-3")
@settings(max_examples=200, deadline=None)
@given(kind=st.text(min_size=1, max_size=30), memo=st.text(max_size=200),
       description=st.text(max_size=100), amount=st.integers(1, 10**12),
       accounts=st.tuples(st.integers(1, 10**9), st.integers(1, 10**9)).filter(
           lambda t: t[0] != t[1]),
       value_date=st.none() | st.dates())
def test_the_entry_hash_and_audit_text_are_the_canonical_json(
        kind: str, memo: str, description: str, amount: int, accounts: tuple[int, int],
        value_date: date | None) -> None:
    """The hashes stored for idempotent replays and the audit data are written out by hand
    for speed; they must stay byte for byte the canonical JSON they always were."""
    entry = EntryRequest(kind=kind, memo=memo, value_date=value_date, legs=[
        Leg(accounts[0], -amount, description), Leg(accounts[1], amount, description)])
    assert service._hash(entry) == service._hash_by_definition(entry)
    assert service._audit_data(kind, entry.legs) == canonical(
        {"kind": kind, "legs": [[leg.account_id, leg.amount] for leg in entry.legs]})
