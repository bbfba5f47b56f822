"""Product profiles: which seed's article decides a claim, and with which policy values.

The structure of each profile (which conditions, which exclusions, whether fees and interest
count, partial compensation or reductions) is the seed's text; the numbers the seeds leave to
the bank (当行所定) come from ``kinko.policy`` (``compensation``). Seed 004 shows several
revisions; the one in force on the notification date applies (POL-1).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from kinko.claims.case import Product
from kinko.policy.model import CompensationPolicy


@dataclass(frozen=True)
class Profile:
    product: Product
    corporate: bool
    seed: str                       # e.g. "001 第12条", "004 (2020-04-01 revision)"
    # Article references, for the trail.
    src_conditions: str
    src_window: str
    src_limitation: str
    src_offsets: str
    src_payees: str
    # The sub-article of each whole-claim exclusion (CLM-6), by circumstance.
    src_excluding: dict[str, str]
    src_cap: str
    window_days: int
    limitation_years: int
    requires_explanation: bool      # CLM-1 (イ); 004 dropped it on 2020-04-01
    fees_and_interest: bool         # CLM-3: 001, 003, 002 include them; 004 does not
    # Retail (CLM-4): the rate of partial compensation when the customer was at fault.
    partial_rate: int | None
    # Whether plain negligence excludes when the bank is in good faith (001 12(4)(ア)(a)
    # says 故意もしくは過失; 003 第九条4 only 故意または重大な過失).
    negligence_excludes: bool
    # Whether gross negligence may still be partly compensated when the bank is at fault
    # (003 第九条2 但し: 過失が認められる場合でも; 001 12(2) なお書き excludes it).
    partial_despite_gross_negligence: bool
    # Corporate (CLM-5): reductions in parts per 100,000, None when the product has none.
    reductions: dict[str, int] | None
    password_age_months: int
    annual_cap: int | None
    excluded_payees: frozenset[str]  # CLM-7
    # Exclusions of CLM-6 that the product's text lists.
    relation_excludes: bool
    false_statement_excludes: bool
    social_disorder_excludes: bool
    pc_lent_excludes: bool
    bank_rules_excludes: bool
    # 004 第3条: the exclusions hold when the bank proves them, whether or not it was at
    # fault; 001/003 exclude only when the bank was in good faith and without fault.
    exclusions_need_bank_without_fault: bool


# Seed 004's revisions, oldest first: (in force from, label).
REVISIONS_004 = (
    (date(2015, 7, 1), "2015-07-01"),
    (date(2018, 12, 14), "2018-12-14"),
    (date(2019, 5, 27), "2019-05-27"),
    (date(2020, 4, 1), "2020-04-01"),
    (date(2020, 7, 22), "2020-07-22"),
)


def revision_004(notified_on: date) -> str:
    label = REVISIONS_004[0][1]
    for start, name in REVISIONS_004:
        if notified_on >= start:
            label = name
    return label


def _reductions(policy: CompensationPolicy) -> dict[str, int]:
    return {
        "prescribed_measures": policy.reduction_prescribed_measures_per_100k,
        "software_not_updated": policy.reduction_software_not_updated_per_100k,
        "password_not_changed": policy.reduction_password_not_changed_per_100k,
        "other_fault": policy.reduction_other_fault_per_100k,
    }


def _retail_001(policy: CompensationPolicy) -> Profile:
    """Seed 001 第12条: the base of the retail profiles; 003 differs only where its text does."""
    return Profile(
        product=Product.RETAIL_001, corporate=False, seed="001 第12条",
        src_conditions="001 第12条(1)", src_window="001 第12条(2)",
        src_limitation="001 第12条(3)",
        src_offsets="001 第12条(5)", src_payees="-", src_cap="-",
        src_excluding={"fault": "001 第12条(4)(ア)(a)", "relation": "001 第12条(4)(ア)(b)",
                       "false_statement": "001 第12条(4)(ア)(c)",
                       "social_disorder": "001 第12条(4)(イ)",
                       "beyond_partial": "001 第12条(2) なお書き"},
        requires_explanation=True, fees_and_interest=True,
        partial_rate=policy.retail_partial_rate_per_100k, negligence_excludes=True,
        partial_despite_gross_negligence=False, reductions=None, annual_cap=None,
        excluded_payees=frozenset(), relation_excludes=True,
        false_statement_excludes=True, social_disorder_excludes=True,
        pc_lent_excludes=False, bank_rules_excludes=False,
        exclusions_need_bank_without_fault=True, window_days=policy.window_days,
        limitation_years=policy.limitation_years,
        password_age_months=policy.password_age_months)


def _retail_003(policy: CompensationPolicy) -> Profile:
    # 003 第九条 has 001's structure; only the articles and the two negligence rules differ.
    return replace(
        _retail_001(policy), product=Product.RETAIL_003, seed="003 第九条",
        src_conditions="003 第九条1", src_window="003 第九条2",
        src_limitation="003 第九条3", src_offsets="003 第九条5",
        src_excluding={"fault": "003 第九条4(1)ア", "relation": "003 第九条4(1)イ",
                       "false_statement": "003 第九条4(1)ウ",
                       "social_disorder": "003 第九条4(2)",
                       "beyond_partial": "003 第九条2 但し"},
        negligence_excludes=False, partial_despite_gross_negligence=True)


def profile_for(product: Product, policy: CompensationPolicy, notified_on: date) -> Profile:
    if product is Product.RETAIL_001:
        return _retail_001(policy)
    if product is Product.RETAIL_003:
        return _retail_003(policy)
    if product is Product.CORPORATE_004:
        rev = revision_004(notified_on)
        # 2015: only payments to the customer itself are outside; 2019-05-27 adds the
        # representative and KYC-obliged businesses designating the customer (第1条ただし書).
        payees = {"own_account"}
        if rev >= "2019-05-27":
            payees |= {"representative", "kyc_business_for_customer"}
        return Profile(
            product=product, corporate=True, seed=f"004 ({rev} revision)",
            src_conditions=f"004 第1条 ({rev})", src_window=f"004 第2条1 ({rev})",
            src_limitation=f"004 第2条2 ({rev})",
            src_offsets=f"004 第5条 ({rev}): the bank's rules (as 001 第12条(5))",
            src_payees=f"004 第1条ただし書 ({rev})",
            src_excluding={"fault": f"004 第3条1 ({rev})", "pc_lent": f"004 第3条2 ({rev})",
                           "bank_rules": f"004 第3条3 ({rev})",
                           "beyond_partial": f"004 第3条1 ({rev})"},
            src_cap=f"004 第1条 ({rev}): 年間1,000万円を限度",
            # The 2020-04-01 revision lists two conditions: prompt notice and the police.
            requires_explanation=rev < "2020-04-01", fees_and_interest=False,
            partial_rate=None, negligence_excludes=False,
            partial_despite_gross_negligence=False, reductions=_reductions(policy),
            annual_cap=policy.corporate_annual_cap, excluded_payees=frozenset(payees),
            relation_excludes=False, false_statement_excludes=False,
            social_disorder_excludes=False, pc_lent_excludes=True, bank_rules_excludes=True,
            exclusions_need_bank_without_fault=False, window_days=policy.window_days,
            limitation_years=policy.limitation_years,
            password_age_months=policy.password_age_months)
    # 002 第16条: the damage including fees and interest, under the bank's own criteria and
    # limit (当行所定の補償基準・限度額) — Kinko's criteria are SPEC §8's (CLM-1, 5, 6, 7).
    return Profile(
        product=product, corporate=True, seed="002 第16条",
        src_conditions="002 第16条1 (当行所定の補償基準: CLM-1)",
        src_window="002 第16条1 (当行所定の補償基準: CLM-2)",
        src_limitation="002 第16条1 (当行所定の補償基準: CLM-8)",
        src_offsets="002 第16条1 (当行所定の補償基準: CLM-9)",
        src_payees="002 第16条1 (当行所定の補償基準: CLM-7)",
        src_excluding=dict.fromkeys(
            ("fault", "relation", "false_statement", "social_disorder", "pc_lent", "bank_rules",
             "beyond_partial"), "002 第16条1 (当行所定の補償基準: CLM-6)"),
        src_cap="002 第16条1-2 (当行所定の限度額)",
        requires_explanation=True, fees_and_interest=True, partial_rate=None,
        negligence_excludes=False, partial_despite_gross_negligence=False,
        reductions=_reductions(policy), annual_cap=policy.corporate_002_annual_cap,
        excluded_payees=frozenset({"own_account", "representative",
                                   "kyc_business_for_customer"}),
        relation_excludes=True, false_statement_excludes=True, social_disorder_excludes=True,
        pc_lent_excludes=True, bank_rules_excludes=True,
        exclusions_need_bank_without_fault=True, window_days=policy.window_days,
        limitation_years=policy.limitation_years,
        password_age_months=policy.password_age_months)
