"""INQ-1: balances and statements (paged, CSV), scoped to the customer's own accounts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from kinko import clock
from kinko.db import Database
from kinko.errors import ValidationFailed
from kinko.inquiries import service as inquiries
from kinko.ledger.books import book
from kinko.ledger.errors import AccountNotFound
from kinko.ledger.rules import Leg
from kinko.ledger.service import EntryRequest, post
from tests import factories

pytestmark = pytest.mark.req("INQ-1")
DAY = datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST)


def _history(db: Database) -> tuple[object, int]:
    clock.set_now(DAY - timedelta(days=20))
    with db.transaction() as s:
        actor, acc = factories.retail_actor(s, balance=100_000)
    for i in range(1, 8):
        clock.set_now(DAY - timedelta(days=20 - i * 2))
        db.run(lambda s, i=i: post(s, EntryRequest(kind="withdrawal", legs=[
            Leg(acc, -1_000 * i, f"ATM {i}"), Leg(book(s, "cash"), 1_000 * i)]), actor="t"))
    clock.set_now(DAY)
    return actor, acc


def test_balances_show_balance_and_withdrawable(db: Database) -> None:
    actor, acc = _history(db)
    with db.transaction() as s:
        [only] = inquiries.balances(s, actor)  # type: ignore[arg-type]
    assert only.account_id == acc and only.balance == 100_000 - 28_000
    assert only.withdrawable == only.balance


def test_statement_pages_newest_first(db: Database) -> None:
    actor, acc = _history(db)
    with db.transaction() as s:
        first = inquiries.statement(s, actor, acc, page_size=3)  # type: ignore[arg-type]
        second = inquiries.statement(s, actor, acc, page=2, page_size=3)  # type: ignore[arg-type]
    assert first.total == 8  # the opening deposit and seven withdrawals
    assert [ln.withdrawal for ln in first.lines] == [7_000, 6_000, 5_000]
    assert [ln.withdrawal for ln in second.lines] == [4_000, 3_000, 2_000]
    assert first.lines[0].balance_after == 72_000


def test_statement_period_filters(db: Database) -> None:
    actor, acc = _history(db)
    with db.transaction() as s:
        period = inquiries.statement(s, actor, acc, date_from=date(2026, 11, 10),  # type: ignore[arg-type]
                                     date_to=date(2026, 11, 14))
    assert sorted(ln.withdrawal for ln in period.lines) == [5_000, 6_000, 7_000]
    assert all(date(2026, 11, 10) <= ln.value_date <= date(2026, 11, 14) for ln in period.lines)
    assert period.total == len(period.lines) == 3


def test_csv_has_every_line_oldest_first(db: Database) -> None:
    actor, acc = _history(db)
    with db.transaction() as s:
        text = inquiries.statement_csv(s, actor, acc, date_from=None, date_to=None)  # type: ignore[arg-type]
    rows = text.strip().split("\r\n")
    assert rows[0].startswith("取引日/date") and len(rows) == 1 + 8
    assert rows[-1].endswith(",7000,,72000")


@pytest.mark.parametrize("kwargs", [
    {"date_from": date(2026, 11, 20), "date_to": date(2026, 11, 1)},
    {"date_from": date(2020, 1, 1)},
    {"page": 0}, {"page_size": 1000},
])
def test_bad_statement_requests_are_refused(db: Database, kwargs: dict[str, object]) -> None:
    actor, acc = _history(db)
    with pytest.raises(ValidationFailed), db.transaction() as s:
        inquiries.statement(s, actor, acc, **kwargs)  # type: ignore[arg-type]


def test_another_customers_account_is_not_found(db: Database) -> None:
    actor, _ = _history(db)
    with db.transaction() as s:
        _, other = factories.retail_actor(s, balance=1)
    with pytest.raises(AccountNotFound), db.transaction() as s:
        inquiries.statement(s, actor, other)  # type: ignore[arg-type]
