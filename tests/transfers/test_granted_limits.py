"""The limits a master user grants a general user bind that user's transfers (PRD-4); a retail
user has no grants, and entering a retail transfer reads none."""

from __future__ import annotations

from datetime import datetime

import pytest

from kinko import clock
from kinko.db import Database
from kinko.instructions.service import Actor
from kinko.ledger.models import Account
from kinko.transfers import service as transfers
from kinko.transfers.errors import LimitExceeded
from tests import factories
from tests.corporate import builders
from tests.querycount import counting

FRIDAY_10 = datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST)   # a business day


def _payee(db: Database) -> tuple[str, str]:
    with db.transaction() as s:
        target = s.get(Account, factories.account(s, holder="ｻﾄｳ ﾊﾅｺ"))
        assert target is not None
        return target.branch_code, target.number


def _enter(db: Database, actor: Actor, acc: int, to: tuple[str, str], amount: int,
           key: str) -> transfers.Quote:
    return db.run(lambda s: transfers.enter(
        s, actor, key=key, from_account_id=acc, amount=amount, bank_code="0999",
        branch_code=to[0], account_type="ordinary", number=to[1]))


@pytest.mark.req("PRD-4")
def test_a_general_users_granted_limits_bind_its_transfers(db: Database) -> None:
    clock.set_now(FRIDAY_10)
    with db.transaction() as s:
        corp = builders.contract(s)
        builders.grant(s, corp, "general", "ABCD", [corp.representative],
                       per_transaction=20_000, daily=50_000)
    to = _payee(db)
    general = corp.actor("general")
    quote = _enter(db, general, corp.representative, to, 20_000, "g1")
    assert quote.details["limits"] == {"per_transaction": 20_000, "daily": 50_000}
    with pytest.raises(LimitExceeded):
        _enter(db, general, corp.representative, to, 20_001, "g2")
    # The master user has no granted limits: the bank's corporate limits apply.
    assert _enter(db, corp.actor("master"), corp.representative, to, 20_001, "m1").instruction


def test_a_retail_transfer_reads_no_corporate_grants(db: Database) -> None:
    clock.set_now(FRIDAY_10)
    with db.transaction() as s:
        actor, acc = factories.retail_actor(s, balance=100_000)
    to = _payee(db)
    with counting(db.engine) as found:
        _enter(db, actor, acc, to, 10_000, "r1")
    assert not [q for q in found.seen if "corporate_user_grants" in q], found
