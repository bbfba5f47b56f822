"""What Kinko cannot know from its records, as the operator records it (with a note)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from kinko.claims.case import Conditions, Fault, Payee, Relation


class Findings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    conditions: Conditions
    customer_fault: Fault = Fault.NONE
    perpetrator_relation: Relation = Relation.NONE
    false_statement: StrictBool = False
    social_disorder: StrictBool = False
    bank_at_fault: StrictBool = False
    pc_lent_or_pledged: StrictBool = False
    breach_of_bank_rules: StrictBool = False
    software_updated: StrictBool = True
    recovered_from_perpetrator: StrictInt = Field(0, ge=0, le=999_999_999_999_999)
    # instruction id → the payee's class, where the operator knows better than Kinko's own
    # classification (the representative's account, a KYC-obliged business for the customer).
    payees: dict[str, Payee] = Field(default_factory=dict)


PROVISIONAL = Findings(conditions=Conditions(prompt_notice=True, sufficient_explanation=True,
                                             police_report=True))
"""Shown before the operator records anything: the engine's view if every condition held
and nothing were against the customer (marked provisional on every page)."""
