"""The case document: what the decision engine decides on (public format, docs/claims.md).

The same document comes from a JSON file (`kinko claims evaluate CASE.json`) and from Kinko's
own records (``kinko.claims.evidence``), so both are decided by one engine. Pydantic validates
it and also generates the JSON Schema kept beside this module (a test keeps the two equal).
"""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError

SCHEMA_PATH = Path(__file__).with_name("case.schema.json")


class Product(StrEnum):
    RETAIL_001 = "retail-001"        # seed 001 article 12
    RETAIL_003 = "retail-003"        # seed 003 第九条
    CORPORATE_004 = "corporate-004"  # seed 004 (revisions 2015–2020)
    CORPORATE_002 = "corporate-002"  # seed 002 第16条


class Fault(StrEnum):
    NONE = "none"
    NEGLIGENCE = "negligence"
    GROSS_NEGLIGENCE = "gross_negligence"
    INTENT = "intent"


class Relation(StrEnum):
    NONE = "none"
    SPOUSE = "spouse"
    RELATIVE_2ND_DEGREE = "relative_2nd_degree"
    COHABITANT = "cohabitant"
    DOMESTIC_STAFF = "domestic_staff"


class Payee(StrEnum):
    THIRD_PARTY = "third_party"
    OWN_ACCOUNT = "own_account"
    REPRESENTATIVE = "representative"
    KYC_BUSINESS_FOR_CUSTOMER = "kyc_business_for_customer"


Yen = StrictInt


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Conditions(_Part):
    """CLM-1: the three conditions for making a claim."""

    prompt_notice: StrictBool
    sufficient_explanation: StrictBool
    police_report: StrictBool


class Security(_Part):
    """The customer's security posture before the theft (CLM-5)."""

    prescribed_measures: StrictBool = Field(
        description="the bank's prescribed security measures (OTP / smartphone auth) were used")
    software_updated: StrictBool = Field(description="OS and browser were kept up to date")
    password_changed_on: date | None = Field(
        description="date of the last password change before the theft; null: never changed")


class Transaction(_Part):
    id: str = Field(min_length=1, max_length=64)
    date: date
    amount: Yen = Field(gt=0, le=999_999_999_999_999)
    fee: Yen = Field(ge=0, le=999_999_999_999_999)
    interest: Yen = Field(ge=0, le=999_999_999_999_999)
    payee: Payee


class Case(_Part):
    """One claim, as the engine sees it."""

    product: Product
    notified_on: date = Field(description="the day the bank was notified")
    noticed_on: date = Field(description="the day the customer noticed the theft or transfer")
    stolen_on: date | None = Field(description="the day the credentials were stolen, if known")
    unavoidable_delay_days: StrictInt = Field(
        ge=0, le=3650, description="proven days of unavoidable circumstances preventing notice")
    conditions: Conditions
    customer_fault: Fault
    perpetrator_relation: Relation
    false_statement: StrictBool
    social_disorder: StrictBool
    bank_at_fault: StrictBool
    pc_lent_or_pledged: StrictBool
    breach_of_bank_rules: StrictBool
    security: Security
    transactions: list[Transaction] = Field(min_length=1, max_length=1000)
    already_compensated_this_year: Yen = Field(ge=0, le=999_999_999_999_999)
    refunded_to_customer: Yen = Field(ge=0, le=999_999_999_999_999)
    recovered_from_perpetrator: Yen = Field(ge=0, le=999_999_999_999_999)


class CaseError(ValueError):
    """A malformed case: ``field`` is the dotted path of the first bad field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(case)"


def parse_case(data: Any) -> Case:
    """Validate a decoded JSON document as a case; raise :class:`CaseError` naming the field."""
    if not isinstance(data, dict):
        raise CaseError("(case)", "the case must be a JSON object")
    try:
        case = Case.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise CaseError(_path(tuple(first["loc"])), first["msg"]) from None
    ids = [t.id for t in case.transactions]
    if len(set(ids)) != len(ids):
        raise CaseError("transactions", "transaction ids must be unique")
    return case


def load_case(text: str) -> Case:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CaseError("(case)", f"not JSON: {exc.msg} at line {exc.lineno}") from None
    return parse_case(data)


def case_schema() -> dict[str, Any]:
    """The JSON Schema of the case, as generated from the model (kept in case.schema.json)."""
    schema = Case.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://kinko.example/schemas/claims-case.json"
    return schema


def stored_schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded
