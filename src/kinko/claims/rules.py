"""The decision engine: a case document in, a decision with its trail out (CLM-1..9).

Pure: no database, no clock. Every rule that touches the outcome appends one trail entry with
the CLM ID, the seed article it comes from and its effect, so a letter to the customer and an
auditor can follow the decision step by step. Amounts are whole yen, rounded down.

Order (each step works on the result of the one before): limitation (CLM-8) → conditions
(CLM-1) → whole-claim exclusions (CLM-6) → each transaction: window (CLM-2) and payee
exclusions (CLM-7), amount with fees and interest (CLM-3) → partial rate (CLM-4, retail) or
reductions (CLM-5, corporate) → offsets (CLM-9) → annual cap (CLM-5) .
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from kinko.claims.case import Case, Fault, Payee, Relation
from kinko.claims.dates import add_months, add_years
from kinko.claims.profiles import Profile, profile_for
from kinko.policy.fields import RATE_SCALE
from kinko.policy.model import CompensationPolicy

FULL = "full"
PARTIAL = "partial"
REDUCED = "reduced"
NONE = "none"


@dataclass(frozen=True)
class Step:
    rule: str
    source: str
    effect: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "source": self.source, "effect": self.effect}


@dataclass(frozen=True)
class Excluded:
    id: str
    reason: str


@dataclass
class Decision:
    product: str
    profile: str
    decision: str = NONE
    compensation: int = 0
    eligible_transaction_ids: list[str] = field(default_factory=list)
    # What each eligible transaction adds to the eligible total (CLM-3), by id.
    eligible_amounts: dict[str, int] = field(default_factory=dict)
    excluded: list[Excluded] = field(default_factory=list)
    eligible_total: int = 0
    window_start: date | None = None
    limitation_until: date | None = None
    remaining_cap: int | None = None
    trail: list[Step] = field(default_factory=list)

    def note(self, rule: str, source: str, effect: str) -> None:
        self.trail.append(Step(rule, source, effect))

    def as_dict(self) -> dict[str, Any]:
        return {
            "product": self.product,
            "profile": self.profile,
            "decision": self.decision,
            "compensation": self.compensation,
            "eligible_total": self.eligible_total,
            "eligible_transaction_ids": list(self.eligible_transaction_ids),
            "eligible_amounts": dict(self.eligible_amounts),
            "excluded": [{"id": e.id, "reason": e.reason} for e in self.excluded],
            "window_start": self.window_start.isoformat() if self.window_start else None,
            "limitation_until": (self.limitation_until.isoformat()
                                 if self.limitation_until else None),
            "remaining_cap": self.remaining_cap,
            "trail": [s.as_dict() for s in self.trail],
        }


def _pct(rate: int) -> str:
    whole, rest = divmod(rate * 100, RATE_SCALE)
    return f"{whole}%" if rest == 0 else f"{rate * 100 / RATE_SCALE:g}%"


def _none(decision: Decision, case: Case, reason: str) -> Decision:
    decision.decision = NONE
    decision.compensation = 0
    decision.eligible_transaction_ids = []
    decision.eligible_amounts = {}
    decision.excluded = [Excluded(t.id, reason) for t in case.transactions]
    return decision


def _limitation(case: Case, profile: Profile, decision: Decision) -> bool:
    """CLM-8: the notice must come by the day two years elapse from the theft (or, when the
    theft date is unknown, from the first fraudulent transfer)."""
    first = min(t.date for t in case.transactions)
    start, what = ((case.stolen_on, "theft") if case.stolen_on is not None
                   else (first, "first fraudulent transfer (theft date unknown)"))
    until = add_years(start, profile.limitation_years)
    decision.limitation_until = until
    if case.notified_on > until:
        decision.note("CLM-8", profile.src_limitation,
                      f"notified {case.notified_on} is after {until}, the day "
                      f"{profile.limitation_years} years elapse from the {what} on {start}: "
                      "the compensation article does not apply")
        return False
    decision.note("CLM-8", profile.src_limitation,
                  f"notified {case.notified_on}, within {profile.limitation_years} years of the "
                  f"{what} on {start} (last day {until})")
    return True


def _conditions(case: Case, profile: Profile, decision: Decision) -> bool:
    """CLM-1: prompt notice, sufficient explanation, police report (all must hold)."""
    needed = {"prompt_notice": case.conditions.prompt_notice,
              "police_report": case.conditions.police_report}
    if profile.requires_explanation:
        needed["sufficient_explanation"] = case.conditions.sufficient_explanation
    missing = [name for name, held in needed.items() if not held]
    if missing:
        decision.note("CLM-1", profile.src_conditions,
                      "a claim needs every condition; not met: " + ", ".join(missing))
        return False
    extra = "" if profile.requires_explanation else (
        " (this revision does not require a sufficient explanation)")
    decision.note("CLM-1", profile.src_conditions,
                  "conditions met: " + ", ".join(needed) + extra)
    return True


def _whole_claim_exclusion(  # noqa: PLR0911 - one return per excluding circumstance
    case: Case, profile: Profile
) -> tuple[str, str] | None:
    """CLM-6: a reason and its article when nothing is compensated, else None."""
    src = profile.src_excluding
    # War, riot or similar disorder excludes whatever the bank's fault (001 12(4)(イ),
    # 003 第九条4(2)).
    if profile.social_disorder_excludes and case.social_disorder:
        return "theft amid war, riot or similar social disorder", src["social_disorder"]
    bank_clear = not case.bank_at_fault
    applies = bank_clear or not profile.exclusions_need_bank_without_fault
    if applies:
        fault = case.customer_fault
        if fault in (Fault.INTENT, Fault.GROSS_NEGLIGENCE):
            return f"customer's {fault.value.replace('_', ' ')}", src["fault"]
        if fault is Fault.NEGLIGENCE and profile.negligence_excludes:
            return ("customer's negligence (the bank in good faith and without fault)",
                    src["fault"])
        if profile.relation_excludes and case.perpetrator_relation is not Relation.NONE:
            return (f"done by the customer's {case.perpetrator_relation.value.replace('_', ' ')}",
                    src["relation"])
        if profile.false_statement_excludes and case.false_statement:
            return "false statement on an important point", src["false_statement"]
        if profile.pc_lent_excludes and case.pc_lent_or_pledged:
            return "a PC lent, transferred or pledged to others was used", src["pc_lent"]
        if profile.bank_rules_excludes and case.breach_of_bank_rules:
            return "breach of the bank's rules", src["bank_rules"]
    # Outside the good-faith exclusions, the compensation article itself still limits what
    # a customer at fault may get (001 12(2) なお書き: no intent or gross negligence).
    if case.customer_fault is Fault.INTENT:
        return "customer's intent", src["beyond_partial"]
    if (case.customer_fault is Fault.GROSS_NEGLIGENCE
            and not profile.partial_despite_gross_negligence):
        return "customer's gross negligence", src["beyond_partial"]
    return None


def _transactions(case: Case, profile: Profile, decision: Decision) -> int:
    """CLM-2 window, CLM-7 payees, CLM-3 amount: the eligible total (補てん対象額)."""
    days = profile.window_days + case.unavoidable_delay_days
    start = case.notified_on - timedelta(days=days)
    decision.window_start = start
    extended = (f" ({profile.window_days} days + {case.unavoidable_delay_days} days of proven "
                "unavoidable delay)" if case.unavoidable_delay_days else "")
    decision.note("CLM-2", profile.src_window,
                  f"transfers from {start} up to the notification on {case.notified_on}"
                  f"{extended}")
    total = 0
    for tx in sorted(case.transactions, key=lambda t: (t.date, t.id)):
        if tx.date < start:
            reason = f"before the window (from {start})"
            decision.excluded.append(Excluded(tx.id, reason))
            decision.note("CLM-2", profile.src_window, f"{tx.id} on {tx.date}: excluded, {reason}")
            continue
        if tx.date > case.notified_on:
            reason = f"after the notification on {case.notified_on}"
            decision.excluded.append(Excluded(tx.id, reason))
            decision.note("CLM-2", profile.src_window, f"{tx.id} on {tx.date}: excluded, {reason}")
            continue
        if tx.payee.value in profile.excluded_payees:
            reason = {
                Payee.OWN_ACCOUNT: "paid to an account in the customer's own name",
                Payee.REPRESENTATIVE: "paid to the company's representative",
                Payee.KYC_BUSINESS_FOR_CUSTOMER:
                    "paid to a KYC-obliged business designating the customer",
            }.get(tx.payee, "payee excluded")
            decision.excluded.append(Excluded(tx.id, reason))
            decision.note("CLM-7", profile.src_payees, f"{tx.id}: excluded, {reason}")
            continue
        amount = tx.amount + (tx.fee + tx.interest if profile.fees_and_interest else 0)
        total += amount
        decision.eligible_transaction_ids.append(tx.id)
        decision.eligible_amounts[tx.id] = amount
        if profile.fees_and_interest:
            what = f"{tx.amount} + fee {tx.fee} + interest {tx.interest} = {amount} yen"
        else:
            what = f"{tx.amount} yen (this product compensates the withdrawn amount only)"
        decision.note("CLM-3", profile.src_window, f"{tx.id} on {tx.date}: eligible, {what}")
    decision.eligible_total = total
    decision.note("CLM-3", profile.src_window, f"eligible total (補てん対象額): {total} yen")
    return total


def _retail_rate(case: Case, profile: Profile, decision: Decision, amount: int) -> int:
    """CLM-4: full without fault; with fault (but allowed), the policy's partial rate."""
    if case.customer_fault is Fault.NONE:
        decision.note("CLM-4", profile.src_window, "customer without fault: full amount")
        return amount
    rate = profile.partial_rate or 0
    reduced = amount * rate // RATE_SCALE
    decision.decision = PARTIAL
    decision.note("CLM-4", profile.src_window,
                  f"customer at fault ({case.customer_fault.value.replace('_', ' ')}), "
                  f"partial compensation at {_pct(rate)}: {amount} → {reduced} yen")
    return reduced


def _corporate_reductions(case: Case, profile: Profile, decision: Decision,
                          amount: int) -> int:
    """CLM-5: when the bank was in good faith and without fault, each shortcoming of the
    customer before the theft reduces the amount by its policy rate (applied one after the
    other, so the order does not matter and the total never goes below zero)."""
    src = profile.src_window
    if case.bank_at_fault:
        decision.note("CLM-5", src, "the bank was at fault: no reduction")
        return amount
    rates = profile.reductions or {}
    reference = case.stolen_on or min(t.date for t in case.transactions)
    oldest_ok = add_months(reference, -profile.password_age_months)
    found: list[tuple[str, int]] = []
    if not case.security.prescribed_measures:
        found.append(("the bank's prescribed security measures were not used (①)",
                      rates["prescribed_measures"]))
    if not case.security.software_updated:
        found.append(("OS / browser not kept up to date (②)", rates["software_not_updated"]))
    changed = case.security.password_changed_on
    if changed is None or changed < oldest_ok:
        when = "never" if changed is None else f"last on {changed}"
        found.append((f"password not changed within {profile.password_age_months} months "
                      f"before {reference} ({when}) (⑤)", rates["password_not_changed"]))
    if case.customer_fault is Fault.NEGLIGENCE:
        found.append(("other fault of the customer (⑦)", rates["other_fault"]))
    if not found:
        decision.note("CLM-5", src, "no shortcoming before the theft: no reduction")
        return amount
    numerator, denominator = amount, 1
    for _, rate in found:
        numerator *= RATE_SCALE - rate
        denominator *= RATE_SCALE
    reduced = numerator // denominator
    for label, rate in found:
        decision.note("CLM-5", src, f"reduction {_pct(rate)}: {label}")
    decision.note("CLM-5", src, f"after reductions: {amount} → {reduced} yen")
    if reduced < amount:
        decision.decision = REDUCED
    return reduced


def _offsets(case: Case, profile: Profile, decision: Decision, amount: int) -> int:
    """CLM-9: amounts already repaid from the target deposit or recovered from the
    perpetrator are not compensated again."""
    offsets = case.refunded_to_customer + case.recovered_from_perpetrator
    if offsets == 0:
        return amount
    after = max(0, amount - offsets)
    decision.note("CLM-9", profile.src_offsets,
                  f"deduct {case.refunded_to_customer} yen repaid to the customer and "
                  f"{case.recovered_from_perpetrator} yen recovered from the perpetrator: "
                  f"{amount} → {after} yen")
    return after


def _cap(case: Case, profile: Profile, decision: Decision, amount: int) -> int:
    if profile.annual_cap is None:
        return amount
    remaining = max(0, profile.annual_cap - case.already_compensated_this_year)
    decision.remaining_cap = remaining
    src = profile.src_cap
    if amount <= remaining:
        decision.note("CLM-5", src, f"annual cap {profile.annual_cap} yen, "
                      f"{case.already_compensated_this_year} used: {remaining} remain, "
                      "amount within the cap")
        return amount
    decision.note("CLM-5", src, f"annual cap {profile.annual_cap} yen, "
                  f"{case.already_compensated_this_year} used: {remaining} remain, "
                  f"{amount} → {remaining} yen")
    decision.decision = REDUCED
    return remaining


def decide(case: Case, policy: CompensationPolicy) -> Decision:
    """Decide ``case`` under ``policy``: the compensation and why."""
    profile = profile_for(case.product, policy, case.notified_on)
    decision = Decision(product=case.product.value, profile=profile.seed)
    if not _limitation(case, profile, decision):
        return _none(decision, case, "limitation: notified more than "
                     f"{profile.limitation_years} years after the theft")
    if not _conditions(case, profile, decision):
        return _none(decision, case, "conditions of a claim not met")
    excluded = _whole_claim_exclusion(case, profile)
    if excluded is not None:
        reason, src = excluded
        decision.note("CLM-6", src, f"not compensated: {reason}")
        return _none(decision, case, reason)
    decision.decision = FULL
    amount = _transactions(case, profile, decision)
    if profile.corporate:
        amount = _corporate_reductions(case, profile, decision, amount)
    else:
        amount = _retail_rate(case, profile, decision, amount)
    amount = _offsets(case, profile, decision, amount)
    amount = _cap(case, profile, decision, amount)
    decision.compensation = amount
    if amount == 0:
        decision.decision = NONE
    decision.note("decision", profile.seed,
                  f"{decision.decision}: compensation {amount} yen")
    return decision


def delay_damages(amount: int, delay_days: int, annual_rate: int) -> Decision:
    """CLM-10 (003 第七条): the bank's processing error delayed ``amount`` by ``delay_days``;
    damages at the bank's annual rate, by days over 365, rounded down to the yen."""
    decision = Decision(product="processing-error", profile="003 第七条")
    damages = amount * annual_rate * delay_days // (RATE_SCALE * 365)
    decision.eligible_total = amount
    decision.note("CLM-10", "003 第七条",
                  f"{amount} yen delayed {delay_days} days by the bank's processing error, "
                  f"at {_pct(annual_rate)} a year: {damages} yen")
    decision.compensation = damages
    decision.decision = FULL if damages > 0 else NONE
    decision.note("decision", "003 第七条", f"{decision.decision}: compensation {damages} yen")
    return decision


def allocate(compensation: int, amounts: list[int]) -> list[int]:
    """CLM-9: spread the paid compensation over the eligible transactions in order (oldest
    first), each up to its own amount, for the lapse of rights and the subrogation records."""
    out = []
    left = compensation
    for amount in amounts:
        share = min(left, amount)
        out.append(share)
        left -= share
    return out
