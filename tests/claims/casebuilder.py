"""Build case documents for the claims tests: a clean base case and small overrides."""

from __future__ import annotations

import copy
from typing import Any


def tx(id: str = "t1", date: str = "2026-05-25", amount: int = 100_000, fee: int = 440,
       interest: int = 0, payee: str = "third_party") -> dict[str, Any]:
    return {"id": id, "date": date, "amount": amount, "fee": fee, "interest": interest,
            "payee": payee}


BASE: dict[str, Any] = {
    "product": "retail-001",
    "notified_on": "2026-05-31",
    "noticed_on": "2026-05-30",
    "stolen_on": "2026-05-20",
    "unavoidable_delay_days": 0,
    "conditions": {"prompt_notice": True, "sufficient_explanation": True,
                   "police_report": True},
    "customer_fault": "none",
    "perpetrator_relation": "none",
    "false_statement": False,
    "social_disorder": False,
    "bank_at_fault": False,
    "pc_lent_or_pledged": False,
    "breach_of_bank_rules": False,
    "security": {"prescribed_measures": True, "software_updated": True,
                 "password_changed_on": "2026-04-01"},
    "transactions": [tx()],
    "already_compensated_this_year": 0,
    "refunded_to_customer": 0,
    "recovered_from_perpetrator": 0,
}


def case(**overrides: Any) -> dict[str, Any]:
    """The base case with ``overrides``; nested dicts (conditions, security) are merged."""
    out = copy.deepcopy(BASE)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out
