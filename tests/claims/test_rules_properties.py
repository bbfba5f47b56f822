"""Properties of the decision engine over generated cases (CLM-3, CLM-5, CLM-7, CLM-9)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kinko.claims.case import parse_case
from kinko.claims.rules import decide
from kinko.policy.model import CompensationPolicy
from tests.claims.casebuilder import case, tx

NOTIFIED = date(2026, 5, 31)
PRODUCTS = ["retail-001", "retail-003", "corporate-004", "corporate-002"]
PAYEES = ["third_party", "own_account", "representative", "kyc_business_for_customer"]

yen = st.integers(min_value=0, max_value=20_000_000)


@st.composite
def transactions(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(min_value=1, max_value=6))
    return [tx(f"t{i}", (NOTIFIED - timedelta(days=draw(st.integers(-2, 60)))).isoformat(),
               amount=draw(st.integers(1, 9_000_000)), fee=draw(st.integers(0, 880)),
               interest=draw(st.integers(0, 5_000)), payee=draw(st.sampled_from(PAYEES)))
            for i in range(count)]


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    txs = draw(transactions())
    stolen = draw(st.one_of(st.none(), st.integers(0, 900)))
    changed = draw(st.one_of(st.none(), st.integers(0, 400)))
    return case(
        product=draw(st.sampled_from(PRODUCTS)),
        stolen_on=None if stolen is None else (NOTIFIED - timedelta(days=stolen)).isoformat(),
        unavoidable_delay_days=draw(st.integers(0, 40)),
        conditions={k: draw(st.booleans()) or draw(st.booleans()) for k in (
            "prompt_notice", "sufficient_explanation", "police_report")},
        customer_fault=draw(st.sampled_from(
            ["none", "none", "negligence", "gross_negligence", "intent"])),
        bank_at_fault=draw(st.booleans()),
        security={"prescribed_measures": draw(st.booleans()),
                  "software_updated": draw(st.booleans()),
                  "password_changed_on": None if changed is None else (
                      NOTIFIED - timedelta(days=changed)).isoformat()},
        transactions=txs,
        already_compensated_this_year=draw(yen),
        refunded_to_customer=draw(st.integers(0, 1_000_000)),
        recovered_from_perpetrator=draw(st.integers(0, 1_000_000)),
    )


POLICY = CompensationPolicy()


@pytest.mark.req("CLM-5")
@pytest.mark.req("CLM-9")
@given(cases())
def test_compensation_is_bounded(doc: dict[str, Any]) -> None:
    decision = decide(parse_case(doc), POLICY)
    assert 0 <= decision.compensation <= decision.eligible_total
    if decision.remaining_cap is not None:
        assert decision.compensation <= decision.remaining_cap
        assert decision.compensation + doc["already_compensated_this_year"] <= max(
            POLICY.corporate_annual_cap, doc["already_compensated_this_year"])
    eligible = set(decision.eligible_transaction_ids)
    assert eligible.isdisjoint(e.id for e in decision.excluded)
    assert eligible | {e.id for e in decision.excluded} == {t["id"] for t in doc["transactions"]}
    assert (decision.decision == "none") == (decision.compensation == 0)


@pytest.mark.req("CLM-2")
@pytest.mark.req("CLM-7")
@given(cases(), st.integers(0, 9_000_000), st.sampled_from(["early", "late", "payee"]))
def test_an_excluded_transaction_never_raises_it(doc: dict[str, Any], amount: int,
                                                 kind: str) -> None:
    before = decide(parse_case(doc), POLICY)
    first = min(t["date"] for t in doc["transactions"])
    if kind == "early":
        # Before the window but after the first transfer cannot change the limitation.
        window_start = NOTIFIED - timedelta(days=30 + doc["unavoidable_delay_days"])
        day = window_start - timedelta(days=1)
        if day.isoformat() < first:
            return
        extra = tx("x", day.isoformat(), amount=amount + 1)
    elif kind == "late":
        extra = tx("x", (NOTIFIED + timedelta(days=1)).isoformat(), amount=amount + 1)
    else:
        if doc["product"] not in ("corporate-004", "corporate-002"):
            return
        extra = tx("x", NOTIFIED.isoformat(), amount=amount + 1, payee="own_account")
    after = decide(parse_case({**doc, "transactions": [*doc["transactions"], extra]}), POLICY)
    assert after.compensation <= before.compensation
    assert "x" in {e.id for e in after.excluded}


@pytest.mark.req("CLM-9")
@given(cases(), st.integers(0, 2_000_000))
def test_more_offsets_never_raise_it(doc: dict[str, Any], more: int) -> None:
    before = decide(parse_case(doc), POLICY)
    doc = {**doc, "refunded_to_customer": doc["refunded_to_customer"] + more}
    assert decide(parse_case(doc), POLICY).compensation <= before.compensation


@given(cases())
def test_the_eligible_total_is_the_sum_of_what_each_transaction_adds(doc: dict[str, Any]
                                                                     ) -> None:
    decision = decide(parse_case(doc), POLICY)
    assert sum(decision.eligible_amounts.values()) == decision.eligible_total
    assert list(decision.eligible_amounts) == decision.eligible_transaction_ids


@given(st.integers(0, 10**9), st.lists(st.integers(1, 10**8), max_size=8))
def test_allocation_covers_the_payment_oldest_first(paid: int, amounts: list[int]) -> None:
    from kinko.claims.rules import allocate

    shares = allocate(paid, amounts)
    assert sum(shares) == min(paid, sum(amounts))
    assert all(0 <= s <= a for s, a in zip(shares, amounts, strict=True))
