"""post_alone: one entry as its own transaction — on PostgreSQL one statement in autocommit on a
bare pooled connection — with exactly the outcomes of ``post`` in a transaction (LED-2..4)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from kinko.audit.models import AuditEvent
from kinko.db import Database
from kinko.errors import IdempotencyMismatch
from kinko.ledger.errors import AccountNotFound, AccountNotUsable, InsufficientFunds
from kinko.ledger.models import Account, AccountState, JournalEntry, Posting
from kinko.ledger.service import change_state, check_books, transfer_alone
from tests import factories


def _counts(db: Database) -> tuple[int, int, int]:
    with db.transaction() as s:
        return (s.scalar(select(func.count()).select_from(JournalEntry)) or 0,
                s.scalar(select(func.count()).select_from(Posting)) or 0,
                s.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def _balance(db: Database, account_id: int) -> int:
    with db.transaction() as s:
        account = s.get(Account, account_id)
        assert account is not None
        return account.balance


@pytest.mark.req("LED-2")
def test_posts_the_entry_its_postings_and_its_audit_event(db: Database) -> None:
    with db.transaction() as s:
        a = factories.account(s, balance=10_000)
        b = factories.account(s)
    before = _counts(db)
    # One pooled connection, so the transaction below gets the one the post used.
    one = Database(db.url.render_as_string(hide_password=False), pool_size=1)
    try:
        posted = transfer_alone(one, debit_account_id=a, credit_account_id=b, amount=2_500,
                                description="ﾌﾘｺﾐ", actor="teller:1")
        # The connection went back to the pool transactional: a rollback undoes a write.
        with pytest.raises(RuntimeError), one.transaction() as s:
            s.get(Account, a).balance = 1  # type: ignore[union-attr]
            s.flush()
            raise RuntimeError
    finally:
        one.dispose()
    assert posted.balances == {a: 7_500, b: 2_500} and not posted.replayed
    assert _counts(db) == (before[0] + 1, before[1] + 2, before[2] + 1)
    with db.transaction() as s:
        books = check_books(s)
        assert books.ok, books
        event = s.scalars(select(AuditEvent).where(
            AuditEvent.subject_type == "journal_entry",
            AuditEvent.subject_id == str(posted.entry_id))).one()
        assert (event.actor, event.action) == ("teller:1", "ledger.post")
    assert _balance(db, a) == 7_500


@pytest.mark.req("LED-3")
def test_refusals_write_nothing_and_name_the_reason(db: Database) -> None:
    with db.transaction() as s:
        a = factories.account(s, balance=1_000)
        b = factories.account(s)
        c = factories.account(s, balance=5_000)
        change_state(s, c, AccountState.SEIZED, actor="t", reason="差押")
    before = _counts(db)
    with pytest.raises(InsufficientFunds):
        transfer_alone(db, debit_account_id=a, credit_account_id=b, amount=1_001, actor="t")
    with pytest.raises(AccountNotFound):
        transfer_alone(db, debit_account_id=a, credit_account_id=999_999, amount=1, actor="t")
    with pytest.raises(AccountNotUsable):
        transfer_alone(db, debit_account_id=c, credit_account_id=b, amount=1, actor="t")
    assert _counts(db) == before
    assert (_balance(db, a), _balance(db, c)) == (1_000, 5_000)


@pytest.mark.req("INS-3")
def test_a_replayed_key_returns_the_first_result_and_a_changed_one_is_refused(
        db: Database) -> None:
    with db.transaction() as s:
        a = factories.account(s, balance=10_000)
        b = factories.account(s)
    first = transfer_alone(db, debit_account_id=a, credit_account_id=b, amount=300,
                           idempotency_key="k-alone", actor="t")
    again = transfer_alone(db, debit_account_id=a, credit_account_id=b, amount=300,
                           idempotency_key="k-alone", actor="t")
    assert again.replayed and again.entry_id == first.entry_id
    assert again.balances == first.balances == {a: 9_700, b: 300}
    with pytest.raises(IdempotencyMismatch):
        transfer_alone(db, debit_account_id=a, credit_account_id=b, amount=301,
                       idempotency_key="k-alone", actor="t")
    assert _balance(db, a) == 9_700


@pytest.mark.req("LED-3")
def test_concurrent_single_posts_never_pass_the_overdraft_line(db: Database) -> None:
    """Eight threads race to drain one account: exactly as many succeed as the money covers,
    the rest are refused, and the books stay balanced."""
    with db.transaction() as s:
        source = factories.account(s, balance=10_000)
        sinks = [factories.account(s) for _ in range(8)]
    outcomes: list[str] = []
    lock = threading.Lock()

    def drain(sink: int) -> None:
        for _ in range(5):
            try:
                transfer_alone(db, debit_account_id=source, credit_account_id=sink,
                               amount=700, actor="t")
                result = "ok"
            except InsufficientFunds:
                result = "refused"
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=drain, args=(sink,)) for sink in sinks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 10_000 // 700
    assert outcomes.count("refused") == 40 - 10_000 // 700
    assert _balance(db, source) == 10_000 - 700 * (10_000 // 700)
    with db.transaction() as s:
        assert check_books(s).ok
