"""PRD-1 on PostgreSQL: operators opening accounts at the same branch at the same time get
distinct numbers, in order, and no opening fails (the branch row serialises the numbering)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kinko.db import Database
from kinko.ledger.models import Account
from kinko.onboarding import customers
from tests.onboarding.conftest import Bank
from tests.onboarding.helpers import PERSON


@pytest.mark.req("PRD-1")
def test_concurrent_openings_take_distinct_numbers(pg_url: str, bank: Bank,
                                                   db: Database) -> None:
    cid = db.run(lambda s: customers.register_customer(s, actor="t", **PERSON).id)
    workers, each = 4, 5
    errors: list[BaseException] = []
    start = threading.Barrier(workers)

    def work() -> None:
        mine = Database(pg_url)
        try:
            start.wait()
            for _ in range(each):
                mine.run(lambda s: customers.open_customer_account(
                    s, customer_id=cid, account_type="ordinary", actor="t"))
        except BaseException as exc:   # reported below, after the join
            errors.append(exc)
        finally:
            mine.dispose()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors

    def numbers(s: Session) -> list[str]:
        return list(s.execute(select(Account.number).where(Account.customer_id == cid)
                              .order_by(Account.number)).scalars())
    assert db.run(numbers) == [f"{n:07d}" for n in range(1, workers * each + 1)]
