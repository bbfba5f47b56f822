"""post_payouts: one source paying many accounts, each payout its own entry (LED-2, LED-3,
LED-4). It must write exactly what post_many writes for the same entries — rows, hashes,
audit events, balances, refusals — on PostgreSQL as COPY text built by hand, on SQLite through
post_many itself; and the source, locked last, is checked again under its lock."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kinko.audit.models import AuditEvent
from kinko.db import Database
from kinko.ledger import payouts as payouts_module
from kinko.ledger import repository
from kinko.ledger.errors import InsufficientFunds, InvalidEntry
from kinko.ledger.models import Account, AccountState, JournalEntry, Posting
from kinko.ledger.payouts import Payout, as_entry, post_payouts
from kinko.ledger.service import change_state, check_books, post_many, transfer
from tests import factories

pytestmark = pytest.mark.req("LED-2")

# Text that COPY must escape and JSON must quote: tab, newline, backslash, quote, kana.
ODD = 'a\tb\\c\n"ｶﾅ"\r'
DAY = date(2026, 11, 24)


class _Undo(Exception):
    pass


def _rows(s: Session, keys: list[str]) -> dict[str, Any]:
    """What the batch left behind, by idempotency key (entry ids differ between runs)."""
    entries = {e.id: e for e in s.scalars(select(JournalEntry).where(
        JournalEntry.idempotency_key.in_(keys)))}
    key_of = {i: e.idempotency_key for i, e in entries.items()}
    postings = [(key_of[p.entry_id], p.account_id, p.amount, p.balance_after, p.description)
                for p in s.scalars(select(Posting).where(Posting.entry_id.in_(list(entries)))
                                   .order_by(Posting.account_id, Posting.id))]
    events = sorted((key_of[int(a.subject_id)], a.actor, a.data) for a in s.scalars(
        select(AuditEvent).where(AuditEvent.action == "ledger.post",
                                 AuditEvent.subject_id.in_([str(i) for i in entries]))))
    return {
        "entries": sorted((e.idempotency_key, e.kind, e.memo, e.value_date, e.request_hash)
                          for e in entries.values()),
        "postings": postings, "events": events,
        "balances": {a.id: a.balance for a in s.scalars(select(Account))},
        "books": check_books(s).ok,
    }


def _outcome(db: Database, keys: list[str], post: Any) -> dict[str, Any]:
    got: dict[str, Any] = {}
    try:
        with db.transaction() as s:
            result = post(s)
            got["refused"], got["posted"] = result.refused, len(result.posted)
            got.update(_rows(s, keys))
            raise _Undo
    except _Undo:
        pass
    return got


def test_payouts_write_what_post_many_writes(db: Database) -> None:
    with db.transaction() as s:
        source = factories.account(s, balance=10_000)
        payees = [factories.account(s) for _ in range(4)]
        shared = factories.account(s)
        closed = factories.account(s)
        change_state(s, closed, AccountState.CLOSED, actor="t", reason="test")
        transfer(s, debit_account_id=source, credit_account_id=payees[0], amount=1,
                 idempotency_key="k-old", actor="t")
    payouts = [
        Payout("bulk_credit", "k-1", payees[0], 1_000, "ﾌﾘｺﾐ A", "ﾌﾘｺﾐ ｿｳｷﾝ"),
        Payout("bulk_credit", "k-2", closed, 500, "ﾌﾘｺﾐ B", "x"),          # closed: refused
        Payout(ODD, "k-3\t" + ODD, payees[1], 2_000, ODD, ODD),           # escaped text
        Payout("bulk_clearing", "k-4", shared, 3_000, "c", "c"),
        Payout("bulk_credit", "k-5", 999_999, 10, "y", "y"),               # unknown account
        Payout("bulk_credit", "k-old", payees[0], 1, "", ""),              # replayed key
        Payout("bulk_clearing", "k-6", shared, 2_500, "c", "c"),
        Payout("bulk_credit", "k-7", payees[2], 9_000, "z", "z"),          # source short now
        Payout("bulk_credit", "k-8", payees[0], 999, "z", "z"),            # fits again
        Payout("bulk_credit", "k-9", payees[3], 500, "z", "z"),            # the last yen
    ]
    keys = [p.idempotency_key for p in payouts]
    fast = _outcome(db, keys, lambda s: post_payouts(
        s, source, payouts, memo="bulk\t1", value_date=DAY, actor="system:bulk",
        shared=(shared,)))
    slow = _outcome(db, keys, lambda s: post_many(
        s, [as_entry(source, p, "bulk\t1", DAY) for p in payouts], actor="system:bulk"))
    assert fast["refused"] == {1: "ACCOUNT_NOT_USABLE", 4: "ACCOUNT_NOT_FOUND", 5: "REPLAYED",
                               7: "INSUFFICIENT_FUNDS"}
    assert fast["posted"] == 6
    assert fast["balances"][source] == 0 and fast["books"]
    assert fast == slow


def test_bad_payouts_are_refused_whole_and_write_nothing(db: Database) -> None:
    with db.transaction() as s:
        source = factories.account(s, balance=1_000)
        payee = factories.account(s)
    bad = [
        [Payout("k", "a", payee, 0, "", "")],                          # zero
        [Payout("k", "a", payee, True, "", "")],                      # not an int
        [Payout("k", "a", source, 5, "", "")],                         # to itself
        [Payout("", "a", payee, 5, "", "")],                           # no kind
        [Payout("k", "a", payee, 5, "", ""), Payout("k", "a", payee, 6, "", "")],  # key twice
        [Payout("k", "a", payee, 5, "x" * 101, "")],                   # description too long
    ]
    for payouts in bad:
        with pytest.raises(InvalidEntry), db.transaction() as s:
            post_payouts(s, source, payouts, memo="", value_date=None, actor="t")
    with db.transaction() as s:
        assert s.get(Account, payee).balance == 0  # type: ignore[union-attr]
        assert s.scalar(select(JournalEntry.id).where(JournalEntry.idempotency_key == "a")) \
            is None


def test_the_source_is_checked_again_under_its_lock(db: Database, pg_url: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The decision is taken on the source's figures read before its lock (so that batches
    paying other payees run side by side); if the source cannot give the total by the time
    it is locked, the batch raises and its transaction writes nothing."""
    with db.transaction() as s:
        source = factories.account(s, balance=1_000)
        payee = factories.account(s)
    real = repository.read_accounts

    def richer(session: Session, ids: Any) -> Any:   # another writer drained it meanwhile
        return [a.__class__(a.id, a.balance + 10_000, a.held, a.overdraft_limit, a.state)
                for a in real(session, ids)]

    monkeypatch.setattr(payouts_module.repo, "read_accounts", richer)
    with pytest.raises(InsufficientFunds), db.transaction() as s:
        post_payouts(s, source, [Payout("k", "k-1", payee, 5_000, "", "")], memo="",
                     value_date=None, actor="t")
    with db.transaction() as s:
        assert s.get(Account, source).balance == 1_000  # type: ignore[union-attr]
        assert s.get(Account, payee).balance == 0  # type: ignore[union-attr]
        assert s.scalar(select(JournalEntry.id).where(JournalEntry.idempotency_key == "k-1")) \
            is None
        assert check_books(s).ok
