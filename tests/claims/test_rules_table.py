"""The decision engine, case by case, from the seeds' articles (CLM-1..9).

Each row names its SPEC ID and the seed article it reads; the base case (casebuilder.BASE) is a
customer without fault, notified 2026-05-31 of a theft on 2026-05-20, one 100,000-yen transfer
with a 440-yen fee on 2026-05-25. The 30-day window then starts on 2026-05-01 (the 30th day
before the notice); 2026-04-30 is the 31st.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from kinko.claims.case import parse_case
from kinko.claims.rules import decide
from kinko.policy.model import CompensationPolicy
from tests.claims.casebuilder import case, tx

R001 = "retail-001"
R003 = "retail-003"
C004 = "corporate-004"
C002 = "corporate-002"


def row(clm: str, article: str, title: str, decision: str, compensation: int,
        excluded: tuple[str, ...] = (), **overrides: Any) -> Any:
    return pytest.param(article, overrides, decision, compensation, excluded,
                        id=f"{clm} {article}: {title}", marks=pytest.mark.req(clm))


CASES = [
    # ---- retail-001: seed 001 第12条 ----
    row("CLM-3", "001 第12条(2)", "full amount with the fee", "full", 100_440),
    row("CLM-3", "001 第12条(2)", "fee and interest count", "full", 100_452,
        transactions=[tx(interest=12)]),
    row("CLM-2", "001 第12条(2)", "transfer on the 30th day before notice is in", "full", 100_440,
        transactions=[tx(date="2026-05-01")], stolen_on="2026-04-25"),
    row("CLM-2", "001 第12条(2)", "transfer on the 31st day before notice is out", "none", 0,
        ("t1",), transactions=[tx(date="2026-04-30")], stolen_on="2026-04-25"),
    row("CLM-2", "001 第12条(2) ただし書", "proven delay of 10 days: the 40th day is in", "full",
        100_440, transactions=[tx(date="2026-04-21")], stolen_on="2026-04-20",
        unavoidable_delay_days=10),
    row("CLM-2", "001 第12条(2) ただし書", "proven delay of 10 days: the 41st day is out", "none",
        0, ("t1",), transactions=[tx(date="2026-04-20")], stolen_on="2026-04-20",
        unavoidable_delay_days=10),
    row("CLM-2", "001 第12条(2)", "transfer on the notification day is in", "full", 100_440,
        transactions=[tx(date="2026-05-31")]),
    row("CLM-2", "001 第12条(2)", "transfer after the notification is out", "full", 100_440,
        ("t2",), transactions=[tx(), tx("t2", "2026-06-01")]),
    row("CLM-2", "001 第12条(2)", "one transfer in the window, one before it", "full", 50_330,
        ("t0",), transactions=[tx("t0", "2026-04-15"), tx(amount=50_000, fee=330)],
        stolen_on="2026-04-10"),
    row("CLM-8", "001 第12条(3)", "notified on the day two years elapse from the theft", "full",
        100_440, stolen_on="2024-05-31"),
    row("CLM-8", "001 第12条(3)", "notified the day after two years elapse", "none", 0, ("t1",),
        stolen_on="2024-05-30"),
    row("CLM-8", "001 第12条(3)", "theft date unknown: counted from the first transfer (in)",
        "full", 100_440, ("t0",), stolen_on=None,
        transactions=[tx("t0", "2024-05-31"), tx()]),
    row("CLM-8", "001 第12条(3)", "theft date unknown: counted from the first transfer (out)",
        "none", 0, ("t0", "t1"), stolen_on=None,
        transactions=[tx("t0", "2024-05-30"), tx()]),
    row("CLM-8", "001 第12条(3)", "theft on 29 February: the period ends on 28 February",
        "full", 100_440, stolen_on="2024-02-29", notified_on="2026-02-28",
        noticed_on="2026-02-27", transactions=[tx(date="2026-02-20")]),
    row("CLM-8", "001 第12条(3)", "theft on 29 February: notified 1 March is too late", "none", 0,
        ("t1",), stolen_on="2024-02-29", notified_on="2026-03-01", noticed_on="2026-02-27",
        transactions=[tx(date="2026-02-20")]),
    row("CLM-1", "001 第12条(1)(ア)", "no prompt notice", "none", 0, ("t1",),
        conditions={"prompt_notice": False}),
    row("CLM-1", "001 第12条(1)(イ)", "no sufficient explanation", "none", 0, ("t1",),
        conditions={"sufficient_explanation": False}),
    row("CLM-1", "001 第12条(1)(ウ)", "no police report", "none", 0, ("t1",),
        conditions={"police_report": False}),
    row("CLM-6", "001 第12条(4)(ア)(a)", "negligence, bank in good faith: nothing", "none", 0,
        ("t1",), customer_fault="negligence"),
    row("CLM-4", "001 第12条(2) なお書き", "negligence, bank at fault: 75 %", "partial", 75_330,
        customer_fault="negligence", bank_at_fault=True),
    row("CLM-4", "001 第12条(2) なお書き", "partial rate rounds down to the yen", "partial",
        75_000, customer_fault="negligence", bank_at_fault=True,
        transactions=[tx(amount=100_001, fee=0)]),
    row("CLM-4", "001 第12条(2) なお書き", "gross negligence, bank at fault: nothing", "none", 0,
        ("t1",), customer_fault="gross_negligence", bank_at_fault=True),
    row("CLM-6", "001 第12条(4)(ア)(a)", "intent: nothing", "none", 0, ("t1",),
        customer_fault="intent"),
    row("CLM-6", "001 第12条(4)(ア)(b)", "done by the spouse", "none", 0, ("t1",),
        perpetrator_relation="spouse"),
    row("CLM-6", "001 第12条(4)(ア)(b)", "done by a relative within the 2nd degree", "none", 0,
        ("t1",), perpetrator_relation="relative_2nd_degree"),
    row("CLM-6", "001 第12条(4)(ア)(b)", "done by a cohabitant", "none", 0, ("t1",),
        perpetrator_relation="cohabitant"),
    row("CLM-6", "001 第12条(4)(ア)(b)", "done by domestic staff", "none", 0, ("t1",),
        perpetrator_relation="domestic_staff"),
    row("CLM-6", "001 第12条(4)(ア)", "a relative, but the bank at fault: full", "full", 100_440,
        perpetrator_relation="spouse", bank_at_fault=True),
    row("CLM-6", "001 第12条(4)(ア)(c)", "false statement", "none", 0, ("t1",),
        false_statement=True),
    row("CLM-6", "001 第12条(4)(イ)", "social disorder, even with the bank at fault", "none", 0,
        ("t1",), social_disorder=True, bank_at_fault=True),
    row("CLM-9", "001 第12条(5)", "partial refund from the target deposit deducted", "full",
        70_440, refunded_to_customer=30_000),
    row("CLM-9", "001 第12条(5)", "recovered from the perpetrator deducted", "full", 100_000,
        recovered_from_perpetrator=440),
    row("CLM-9", "001 第12条(5)", "partial rate, then the refund deducted", "partial", 65_330,
        customer_fault="negligence", bank_at_fault=True, refunded_to_customer=10_000),
    row("CLM-9", "001 第12条(5)", "refunds exceed the amount: nothing left", "none", 0,
        refunded_to_customer=60_000, recovered_from_perpetrator=60_000),
    row("CLM-4", "001 第12条(2)", "retail has no annual cap", "full", 100_440,
        already_compensated_this_year=50_000_000),
    row("CLM-7", "001 第12条(2)", "retail: a payee in the customer's own name still counts",
        "full", 100_440, transactions=[tx(payee="own_account")]),
    # ---- retail-003: seed 003 第九条 ----
    row("CLM-3", "003 第九条2", "full amount with fee and interest", "full", 100_450,
        product=R003, transactions=[tx(interest=10)]),
    row("CLM-4", "003 第九条2 但し", "negligence, bank in good faith: partial", "partial",
        75_330, product=R003, customer_fault="negligence"),
    row("CLM-6", "003 第九条4(1)ア", "gross negligence, bank in good faith: nothing", "none",
        0, ("t1",), product=R003, customer_fault="gross_negligence"),
    row("CLM-4", "003 第九条2 但し", "gross negligence, bank at fault: partial", "partial",
        75_330, product=R003, customer_fault="gross_negligence", bank_at_fault=True),
    row("CLM-6", "003 第九条2 但し", "intent, even with the bank at fault: no part", "none", 0,
        ("t1",), product=R003, customer_fault="intent", bank_at_fault=True),
    row("CLM-6", "003 第九条4(1)イ", "done by a cohabitant", "none", 0, ("t1",),
        product=R003, perpetrator_relation="cohabitant"),
    row("CLM-6", "003 第九条4(1)ウ", "false statement", "none", 0, ("t1",), product=R003,
        false_statement=True),
    row("CLM-6", "003 第九条4(2)", "theft amid riot", "none", 0, ("t1",), product=R003,
        social_disorder=True),
    row("CLM-2", "003 第九条2", "the 30th day is in", "full", 100_440, product=R003,
        transactions=[tx(date="2026-05-01")], stolen_on="2026-04-01"),
    row("CLM-2", "003 第九条2", "the 31st day is out", "none", 0, ("t1",), product=R003,
        transactions=[tx(date="2026-04-30")], stolen_on="2026-04-01"),
    row("CLM-8", "003 第九条3", "two-year line from the theft", "full", 100_440,
        product=R003, stolen_on="2024-05-31"),
    row("CLM-8", "003 第九条3", "a day over the two-year line", "none", 0, ("t1",),
        product=R003, stolen_on="2024-05-30"),
    row("CLM-1", "003 第九条1⑶", "no police report", "none", 0, ("t1",), product=R003,
        conditions={"police_report": False}),
    row("CLM-9", "003 第九条5", "partial refund deducted", "full", 90_440, product=R003,
        refunded_to_customer=10_000),
    # ---- corporate-004: seed 004, the revision in force on the notification day ----
    row("CLM-3", "004 第2条1", "the withdrawn amount only (no fee)", "full", 100_000,
        product=C004),
    row("CLM-1", "004 第1条 (2020-04-01)", "two conditions: no explanation needed", "full",
        100_000, product=C004, conditions={"sufficient_explanation": False}),
    row("CLM-1", "004 第1条 (2019-05-27)", "three conditions before 2020: explanation missing",
        "none", 0, ("t1",), product=C004, conditions={"sufficient_explanation": False},
        notified_on="2019-06-10", noticed_on="2019-06-09", stolen_on="2019-06-01",
        transactions=[tx(date="2019-06-05")], security={"password_changed_on": "2019-05-01"}),
    row("CLM-7", "004 第1条ただし書 (2015-07-01)", "paid to the customer's own account",
        "none", 0, ("t1",), product=C004, notified_on="2016-03-10", noticed_on="2016-03-09",
        stolen_on="2016-03-01", transactions=[tx(date="2016-03-05", payee="own_account")],
        security={"password_changed_on": "2016-02-01"}),
    row("CLM-7", "004 第1条ただし書 (2018-12-14)", "representative not yet excluded in 2019",
        "full", 100_000, product=C004, notified_on="2019-05-26", noticed_on="2019-05-25",
        stolen_on="2019-05-20", transactions=[tx(date="2019-05-22", payee="representative")],
        security={"password_changed_on": "2019-04-01"}),
    row("CLM-7", "004 第1条ただし書 (2019-05-27)", "representative excluded from 27 May 2019",
        "none", 0, ("t1",), product=C004, notified_on="2019-05-27", noticed_on="2019-05-25",
        stolen_on="2019-05-20", transactions=[tx(date="2019-05-22", payee="representative")],
        security={"password_changed_on": "2019-04-01"}),
    row("CLM-7", "004 第1条ただし書 (2020-07-22)", "a KYC business designating the customer",
        "full", 100_000, ("t2",), product=C004,
        transactions=[tx(), tx("t2", payee="kyc_business_for_customer")]),
    row("CLM-5", "004 第2条1①", "prescribed security measures not used: 25 % less",
        "reduced", 75_000, product=C004, security={"prescribed_measures": False}),
    row("CLM-5", "004 第2条1②", "software not kept up to date: 25 % less", "reduced", 75_000,
        product=C004, security={"software_updated": False}),
    row("CLM-5", "004 第2条1⑤", "password changed exactly 3 months before the theft",
        "full", 100_000, product=C004, security={"password_changed_on": "2026-02-20"}),
    row("CLM-5", "004 第2条1⑤", "password changed 3 months and a day before", "reduced",
        75_000, product=C004, security={"password_changed_on": "2026-02-19"}),
    row("CLM-5", "004 第2条1⑤", "password never changed", "reduced", 75_000, product=C004,
        security={"password_changed_on": None}),
    row("CLM-5", "004 第2条1⑦", "other fault (negligence)", "reduced", 75_000, product=C004,
        customer_fault="negligence"),
    row("CLM-5", "004 第2条1", "two shortcomings: one after the other", "reduced", 56_250,
        product=C004, security={"prescribed_measures": False, "software_updated": False}),
    row("CLM-5", "004 第2条1", "all four shortcomings, rounded down", "reduced", 31_640,
        product=C004, customer_fault="negligence",
        security={"prescribed_measures": False, "software_updated": False,
                  "password_changed_on": None}),
    row("CLM-5", "004 第2条1", "bank not in good faith: no reduction", "full", 100_000,
        product=C004, bank_at_fault=True, security={"prescribed_measures": False}),
    row("CLM-6", "004 第3条1", "gross negligence, whatever the bank's fault", "none", 0,
        ("t1",), product=C004, customer_fault="gross_negligence", bank_at_fault=True),
    row("CLM-6", "004 第3条2", "a PC lent or pledged to others", "none", 0, ("t1",),
        product=C004, pc_lent_or_pledged=True),
    row("CLM-6", "004 第3条3", "breach of the bank's rules", "none", 0, ("t1",),
        product=C004, breach_of_bank_rules=True),
    row("CLM-5", "004 第1条", "annual cap reached in the middle of the claim", "reduced",
        50_000, product=C004, already_compensated_this_year=9_950_000,
        transactions=[tx("t1", amount=30_000), tx("t2", "2026-05-26", amount=40_000)]),
    row("CLM-5", "004 第1条", "annual cap already used up", "none", 0, product=C004,
        already_compensated_this_year=10_000_000),
    row("CLM-5", "004 第1条", "claim that exactly fills the cap", "full", 100_000,
        product=C004, already_compensated_this_year=9_900_000),
    row("CLM-2", "004 第2条1", "the 31st day is out", "none", 0, ("t1",), product=C004,
        transactions=[tx(date="2026-04-30")], stolen_on="2026-04-01",
        security={"password_changed_on": "2026-03-01"}),
    row("CLM-8", "004 第2条2", "unknown theft date, first withdrawal 2 years and a day before",
        "none", 0, ("t0", "t1"), product=C004, stolen_on=None,
        transactions=[tx("t0", "2024-05-30"), tx()]),
    row("CLM-9", "004 第5条", "recovered from the perpetrator deducted", "full", 60_000,
        product=C004, recovered_from_perpetrator=40_000),
    # ---- corporate-002: seed 002 第16条 (the bank's criteria and limit) ----
    row("CLM-3", "002 第16条1", "damage including fees and interest", "full", 100_445,
        product=C002, transactions=[tx(interest=5)]),
    row("CLM-7", "002 第16条1", "paid to the representative", "none", 0, ("t1",),
        product=C002, transactions=[tx(payee="representative")]),
    row("CLM-7", "002 第16条1", "paid to a KYC business for the customer", "full", 100_440,
        ("t2",), product=C002,
        transactions=[tx(), tx("t2", payee="kyc_business_for_customer")]),
    row("CLM-7", "002 第16条1", "paid to the customer's own account", "none", 0, ("t1",),
        product=C002, transactions=[tx(payee="own_account")]),
    row("CLM-5", "002 第16条1-2", "the bank's limit reached mid-claim", "reduced", 100_000,
        product=C002, already_compensated_this_year=9_900_000,
        transactions=[tx(), tx("t2", "2026-05-26")]),
    row("CLM-5", "002 第16条1", "software not updated: reduced", "reduced", 75_330,
        product=C002, security={"software_updated": False}),
    row("CLM-6", "002 第16条1", "done by the spouse", "none", 0, ("t1",), product=C002,
        perpetrator_relation="spouse"),
    row("CLM-6", "002 第16条1", "theft amid war", "none", 0, ("t1",), product=C002,
        social_disorder=True),
    row("CLM-9", "002 第16条1", "partial refund deducted", "full", 50_440, product=C002,
        refunded_to_customer=50_000),
]


@pytest.mark.parametrize(("article", "overrides", "expected", "compensation", "excluded"),
                         CASES)
def test_seed_case(article: str, overrides: dict[str, Any], expected: str,
                   compensation: int, excluded: tuple[str, ...]) -> None:
    decision = decide(parse_case(case(**overrides)), CompensationPolicy())
    assert (decision.decision, decision.compensation) == (expected, compensation), \
        decision.as_dict()["trail"]
    assert tuple(sorted(e.id for e in decision.excluded)) == tuple(sorted(excluded))
    # The trail names the article the row is about.
    sources = " ".join(step.source for step in decision.trail)
    cited = re.match(r"\d{3} 第[^条]+条[0-9]*", article)
    assert cited is not None and cited.group(0) in sources, (cited, sources)


def test_at_least_sixty_seed_cases() -> None:
    assert len(CASES) >= 60


@pytest.mark.req("CLM-4")
def test_partial_rate_comes_from_policy() -> None:
    policy = CompensationPolicy(retail_partial_rate_per_100k=80_000)
    decision = decide(parse_case(case(customer_fault="negligence", bank_at_fault=True)), policy)
    assert decision.compensation == 80_352


@pytest.mark.req("CLM-2")
def test_window_comes_from_policy() -> None:
    policy = CompensationPolicy(window_days=45)
    doc = case(transactions=[tx(date="2026-04-16")], stolen_on="2026-04-01")
    assert decide(parse_case(doc), policy).compensation == 100_440
    assert decide(parse_case(doc), CompensationPolicy()).compensation == 0


@pytest.mark.req("CLM-5")
def test_cap_and_reduction_rates_come_from_policy() -> None:
    policy = CompensationPolicy(corporate_annual_cap=60_000,
                                reduction_software_not_updated_per_100k=10_000)
    doc = case(product=C004, security={"software_updated": False})
    decision = decide(parse_case(doc), policy)
    assert (decision.decision, decision.compensation, decision.remaining_cap) == (
        "reduced", 60_000, 60_000)
    doc = case(product=C004, security={"software_updated": False})
    assert decide(parse_case(doc), CompensationPolicy(
        reduction_software_not_updated_per_100k=10_000)).compensation == 90_000


def test_every_decision_step_names_a_rule_and_a_source() -> None:
    decision = decide(parse_case(case(product=C004, security={"prescribed_measures": False})),
                      CompensationPolicy())
    rules = [s.rule for s in decision.trail]
    assert rules[:3] == ["CLM-8", "CLM-1", "CLM-2"]
    assert "CLM-5" in rules and rules[-1] == "decision"
    assert all(s.source and s.effect for s in decision.trail)
