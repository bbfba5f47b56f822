"""INQ-1, XFER-9: the API's statement and incoming lists page with a ``next`` cursor.

``next`` is passed back as ``before``; following it from page 1 gives every line once, the same
lines the offset pages give, and ``next`` is null on the last page."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from kinko.db import Database
from tests.web.conftest import Customer

API = "/api/v1/accounts"


def _follow(customer: Customer, path: str, key: str, size: int) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    before: int | None = None
    for _ in range(20):
        query = f"?page_size={size}" + (f"&before={before}" if before else "")
        body = customer.client.get(f"{path}{query}").json()
        lines += body[key]
        if body["next"] is None:
            return lines
        before = body["next"]
    pytest.fail("the cursor did not reach the last page")


@pytest.mark.req("XFER-9")
@pytest.mark.req("INQ-1")
def test_incoming_and_statement_follow_next_to_the_end(customer: Customer,
                                                       db: Database) -> None:
    from kinko.clearing.service import receive_incoming
    from kinko.ledger.models import Account

    with db.transaction() as s:
        account = s.get(Account, customer.account_id)
        assert account is not None
        for n in range(7):
            receive_incoming(s, to_branch=account.branch_code, to_account_type="ordinary",
                             to_number=account.number, amount=1_000 + n,
                             remitter_name_kana="ｽｽﾞｷ ｲﾁﾛｳ", remitter_bank_code="0005",
                             remitter_branch_code="001", edi=None, reference=f"in-{n}")
    incoming = _follow(customer, f"{API}/{customer.account_id}/incoming", "incoming", 3)
    assert [ln["amount"] for ln in incoming] == [1_006 - n for n in range(7)]
    statement = _follow(customer, f"{API}/{customer.account_id}/statement", "lines", 3)
    by_offset = [ln for page in (1, 2, 3) for ln in customer.client.get(
        f"{API}/{customer.account_id}/statement?page_size=3&page={page}").json()["lines"]]
    assert statement == by_offset and len(statement) == 8    # the opening deposit and 7
    assert [ln["deposit"] for ln in statement[:7]] == [1_006 - n for n in range(7)]
    for newer, older in itertools.pairwise(statement):
        assert newer["balance_after"] == older["balance_after"] + newer["deposit"] \
            - newer["withdrawal"]
    bad = customer.client.get(f"{API}/{customer.account_id}/statement?before=0")
    assert bad.status_code == 422
