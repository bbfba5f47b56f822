"""The fast whole-file checks of a bulk upload (BULK-1, XFER-7) give exactly what the
one-payee rules give: the same problems for every line, the same fee for every payee."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kinko.bulk import rules
from kinko.policy import Policy
from kinko.policy.model import FeeDestination
from kinko.transfers import rules as transfer_rules

_NAME_CHARS = "ｱｲｳｴｵｶｷﾀﾛﾊﾅｺﾞﾟｦ ABCZ0189().-,/\\ab漢\t"
_CODES = st.text("0123456789x", min_size=2, max_size=5)


payees = st.builds(
    rules.Payee,
    bank_code=st.sampled_from(["0999", "0001", "0005", "099", "09x9", "０９９９"]),
    branch_code=st.sampled_from(["001", "002", "123", "01", "0a1"]),
    account_type=st.sampled_from(["1", "2", "4", "9", "3", ""]),
    account_number=st.one_of(st.sampled_from(["1234567", "0000001", "123456", "12345678",
                                              "１２３４５６７"]), _CODES),
    payee_kana=st.text(_NAME_CHARS, max_size=32),
    amount=st.one_of(st.integers(-5, 10**10 + 5), st.sampled_from([0, 1, 9_999_999_999])),
)


@pytest.mark.req("BULK-1")
@settings(max_examples=300, deadline=None)
@given(st.lists(payees, max_size=12), st.booleans(), st.integers(0, 3))
def test_the_whole_file_check_finds_what_the_payee_check_finds(
        items: list[rules.Payee], payroll: bool, first: int) -> None:
    one_by_one = [p for i, x in enumerate(items, first)
                  for p in rules.check_payee(i, x, payroll=payroll)]
    assert rules.check_payees(items, payroll=payroll, first_line=first) == one_by_one


@pytest.mark.req("XFER-7")
@settings(max_examples=300, deadline=None)
@given(st.lists(st.builds(
    rules.Payee, bank_code=st.sampled_from(["0999", "0001"]),
    branch_code=st.sampled_from(["001", "002"]), account_type=st.just("1"),
    account_number=st.just("1234567"),
    payee_kana=st.sampled_from(["ｶ)ｷﾝｺ", "ｶ) ｷﾝｺ", "ﾀﾛｳ"]),
    amount=st.one_of(st.integers(1, 200_000), st.sampled_from([29_999, 30_000, 30_001]))),
    max_size=20))
def test_the_fee_table_charges_what_the_transfer_rules_charge(items: list[rules.Payee]) -> None:
    policy = Policy().transfers
    table = rules.FeeTable(lambda d, a: policy.transfer_fee(FeeDestination(d), a),
                           own_bank="0999", from_branch="001", from_holder="ｶ)ｷﾝｺ",
                           bands=[(b.destination.value, b.from_amount)
                                  for b in policy.fee_bands])
    for p in items:
        c = transfer_rules.classify(own_bank_code="0999", from_branch="001",
                                    from_holder="ｶ)ｷﾝｺ", to_bank=p.bank_code,
                                    to_branch=p.branch_code, to_holder=p.payee_kana)
        expected = policy.transfer_fee(c.destination, p.amount) if c.kind == "furikomi" else 0
        assert table.fee(p) == expected


def test_the_payee_digest_is_the_line_by_line_hash() -> None:
    items = [rules.Payee("0999", "001", "1", "1234567", "ﾀﾛｳ", 5, "EDI"),
             rules.Payee("0001", "002", "2", "7654321", "ﾊﾅｺ", 7)]
    h = hashlib.sha256()
    for p in items:
        h.update(f"{p.bank_code}|{p.branch_code}|{p.account_type}|{p.account_number}|"
                 f"{p.payee_kana}|{p.amount}|{p.edi or ''}\n".encode())
    assert rules.payees_digest(items) == h.hexdigest()
