"""Every bank-prescribed value (当行所定) in one typed, frozen model (POL-1, SPEC §13).

Defaults are SPEC §13's. Values the seeds leave to the bank without a number (per-transaction
and ad-hoc limits, corporate limits, direct-debit and collection cutoffs and fees, the fee
debit day, face-image retention, the deposit rate) carry Kinko defaults; docs/policy.md marks
them. Units are in the field names: yen amounts are ints, rates are parts per 100,000.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, time, timedelta
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import Field, StrictBool, StrictInt, field_validator, model_validator

from kinko.policy.fields import (
    CalendarDate,
    Cutoff,
    LockoutMinutes,
    PolicyGroup,
    Rate,
    TimeOfDay,
    YenAmount,
)

RETAIL_001 = "retail-001"
"""The retail product of seed 001, whose lockout lasts until released (001 2(7))."""


class CalendarPolicy(PolicyGroup):
    # The clock is Japan time by law of the seeds (CAL-1); the value is recorded so a policy
    # file states it, and anything else is refused rather than silently ignored.
    time_zone: Literal["Asia/Tokyo"] = "Asia/Tokyo"
    extra_closing_days: tuple[CalendarDate, ...] = ()

    @field_validator("extra_closing_days")
    @classmethod
    def _in_order(cls, value: tuple[date, ...]) -> tuple[date, ...]:
        # Order and repeats do not matter to the calendar; keeping one form makes versions
        # compare equal and `kinko policy show` read in date order.
        return tuple(sorted(set(value)))


FactorName = Literal["password", "certificate", "confirmation_code", "attribute",
                     "secret_phrase", "otp", "confirmation_password", "card", "phone_call",
                     "smartphone"]
OperationName = Literal["transfer", "pay_easy", "fund_movement", "limit_change", "settings",
                        "approval"]
CourseName = Literal["light", "basic", "comprehensive"]
AttributeName = Literal["phone", "name_kana", "birth_date"]

_FUNDS: tuple[OperationName, ...] = ("transfer", "pay_easy", "fund_movement")


class ProductFactors(PolicyGroup):
    """Which factors a product asks for (AUTH-1: a bank-configured combination, which can
    differ per operation), the attribute check at login (AUTH-2) and the operations that also
    need phone-call authentication when it is switched on (AUTH-4)."""

    login: tuple[FactorName, ...]
    # Asked after the first step when configured for the user (e.g. a registered 合言葉).
    login_second_step: tuple[FactorName, ...] = ()
    step_up: Mapping[OperationName, tuple[FactorName, ...]] = Field(default_factory=dict)
    # Whose users must use an OTP token (CRED-3): every user, or those of these courses.
    otp_for_every_user: StrictBool = True
    otp_courses: tuple[CourseName, ...] = ()
    phone_call_operations: tuple[OperationName, ...] = ()
    # Attributes checked at login (AUTH-2), e.g. ["phone"] or ["name_kana"].
    login_attributes: tuple[AttributeName, ...] = ()


def _default_products() -> dict[str, ProductFactors]:
    return {
        RETAIL_001: ProductFactors(
            login=("password",), login_second_step=("attribute",),
            step_up=dict.fromkeys((*_FUNDS, "limit_change", "settings"), ("card",)),
            otp_for_every_user=False),
        "retail-003": ProductFactors(
            login=("password", "otp", "confirmation_code"),
            step_up=dict.fromkeys((*_FUNDS, "limit_change", "settings"), ("otp",))),
        "corporate-002": ProductFactors(
            login=("password",), login_second_step=("secret_phrase",),
            step_up={**dict.fromkeys((*_FUNDS, "limit_change", "approval"),
                                     ("confirmation_password", "otp")),
                     "settings": ("confirmation_password",)},
            otp_for_every_user=False, otp_courses=("basic", "comprehensive")),
    }


class AuthPolicy(PolicyGroup):
    max_failed_attempts: StrictInt = Field(5, ge=1, le=99)
    lockout_minutes: LockoutMinutes = 30
    lockout_minutes_by_product: Mapping[str, LockoutMinutes] = Field(
        default_factory=lambda: {RETAIL_001: None}
    )
    lockouts_before_block: StrictInt = Field(3, ge=1, le=99)
    password_expiry_days: StrictInt = Field(90, ge=1, le=3650)
    password_min_length: StrictInt = Field(8, ge=4, le=128)
    password_max_length: StrictInt = Field(32, ge=4, le=128)
    password_needs_letter_and_digit: StrictBool = True
    password_history: StrictInt = Field(5, ge=0, le=24)
    # Login throttling (kinko.auth.throttle): failed attempts counted per fixed window, per
    # client address (high: many customers may share one address) and per typed ID (kept
    # below max_failed_attempts, so that a lockout takes at least one window to trigger).
    throttle_window_minutes: StrictInt = Field(15, ge=1, le=1440)
    throttle_failures_per_address: StrictInt = Field(100, ge=1, le=1_000_000)
    throttle_failures_per_id: StrictInt = Field(4, ge=1, le=999)
    # Each product's factors per operation, attribute check and phone-call operations.
    products: Mapping[str, ProductFactors] = Field(default_factory=_default_products)
    # Phone-call authentication (AUTH-4): off unless the bank turns it on; the customer calls
    # the bank-designated number from the registered phone within the window.
    phone_call_enabled: StrictBool = False
    phone_call_window_minutes: StrictInt = Field(5, ge=1, le=60)
    phone_call_number: str = Field("0120000000", pattern=r"^[0-9]{10,11}$")
    # Wrong cash-card PINs at the corporate Light online sign-up before the PIN is refused.
    signup_pin_attempts: StrictInt = Field(5, ge=1, le=99)
    login_id_min_length: StrictInt = Field(6, ge=1, le=32)
    login_id_max_length: StrictInt = Field(12, ge=1, le=32)
    session_idle_minutes: StrictInt = Field(15, ge=1, le=240)
    session_absolute_minutes: StrictInt = Field(120, ge=1, le=1440)
    limited_session_minutes: StrictInt = Field(15, ge=1, le=240)
    step_up_validity_minutes: StrictInt = Field(5, ge=1, le=60)
    otp_window_steps: StrictInt = Field(1, ge=0, le=5)
    confirmation_code_ttl_minutes: StrictInt = Field(5, ge=1, le=60)
    card_challenge_ttl_minutes: StrictInt = Field(5, ge=1, le=60)
    approval_ttl_minutes: StrictInt = Field(5, ge=1, le=60)
    hard_token_validity_days: StrictInt = Field(5 * 365, ge=30, le=20 * 365)
    certificate_validity_days: StrictInt = Field(365, ge=30, le=10 * 365)
    certificate_renewal_window_days: StrictInt = Field(30, ge=1, le=365)
    notify_login: StrictBool = True
    # A new hard token is mailed this many days before the old one expires (CRED-1).
    token_renewal_lead_days: StrictInt = Field(60, ge=1, le=365)

    @model_validator(mode="after")
    def _length_range(self) -> Self:
        if self.password_min_length > self.password_max_length:
            raise ValueError("password_min_length must not exceed password_max_length")
        if self.login_id_min_length > self.login_id_max_length:
            raise ValueError("login_id_min_length must not exceed login_id_max_length")
        missing = set(_default_products()) - set(self.products)
        if missing:
            raise ValueError(f"products: {', '.join(sorted(missing))} must be configured")
        return self

    def lockout_duration(self, product: str | None = None) -> timedelta | None:
        """How long a lockout lasts for ``product``; ``None`` = until an operator releases it."""
        minutes = self.lockout_minutes
        if product is not None:
            minutes = self.lockout_minutes_by_product.get(product, minutes)
        return None if minutes is None else timedelta(minutes=minutes)


class InstructionPolicy(PolicyGroup):
    confirmation_deadline_minutes: StrictInt = Field(10, ge=1, le=1440)

    @property
    def confirmation_deadline(self) -> timedelta:
        return timedelta(minutes=self.confirmation_deadline_minutes)


class FeeDestination(StrEnum):
    OWN_BRANCH = "own_branch"      # same branch of this bank (incl. 振替)
    OTHER_BRANCH = "other_branch"  # another branch of this bank
    OTHER_BANK = "other_bank"      # another bank, through clearing


class FeeBand(PolicyGroup):
    """The fee for transfers to ``destination`` of at least ``from_amount`` yen."""

    destination: FeeDestination
    from_amount: YenAmount = 0
    fee: YenAmount


def _default_fee_bands() -> tuple[FeeBand, ...]:
    return (
        FeeBand(destination=FeeDestination.OWN_BRANCH, from_amount=0, fee=0),
        FeeBand(destination=FeeDestination.OTHER_BRANCH, from_amount=0, fee=110),
        FeeBand(destination=FeeDestination.OTHER_BANK, from_amount=0, fee=330),
        FeeBand(destination=FeeDestination.OTHER_BANK, from_amount=30_000, fee=440),
    )


class TransferPolicy(PolicyGroup):
    value_date_max_business_days: StrictInt = Field(7, ge=0, le=60)
    future_dated_debit_time: TimeOfDay = time(9, 0)
    same_day_cutoff: TimeOfDay = time(15, 0)
    retail_daily_limit: YenAmount = 1_000_000
    retail_per_transaction_limit: YenAmount = 1_000_000
    corporate_daily_limit: YenAmount = 10_000_000
    corporate_per_transaction_limit: YenAmount = 10_000_000
    ad_hoc_payee_daily_limit: YenAmount = 500_000
    fee_bands: tuple[FeeBand, ...] = Field(default_factory=_default_fee_bands)
    recall_fee: YenAmount = 880

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.retail_per_transaction_limit > self.retail_daily_limit:
            raise ValueError("retail_per_transaction_limit must not exceed retail_daily_limit")
        if self.corporate_per_transaction_limit > self.corporate_daily_limit:
            raise ValueError(
                "corporate_per_transaction_limit must not exceed corporate_daily_limit"
            )
        seen: set[tuple[FeeDestination, int]] = set()
        for band in self.fee_bands:
            key = (band.destination, band.from_amount)
            if key in seen:
                raise ValueError(
                    f"fee_bands: two bands for {band.destination.value} from {band.from_amount}"
                )
            seen.add(key)
        for destination in FeeDestination:
            if (destination, 0) not in seen:
                raise ValueError(f"fee_bands: {destination.value} needs a band from_amount = 0")
        return self

    def transfer_fee(self, destination: FeeDestination, amount: int) -> int:
        """The fee in yen for a transfer of ``amount`` yen to ``destination`` (XFER-7)."""
        if amount < 0:
            raise ValueError(f"transfer amount {amount} is negative")
        bands = [b for b in self.fee_bands if b.destination is destination]
        # Validation guarantees a band from 0 for every destination, so one always applies.
        return max((b for b in bands if b.from_amount <= amount), key=lambda b: b.from_amount).fee


class PayEasyPolicy(PolicyGroup):
    daily_limit: YenAmount = 1_000_000


class BulkTransferPolicy(PolicyGroup):
    request_cutoff: Cutoff = Cutoff(business_days_before=1, at=time(17, 0))
    cancel_cutoff: Cutoff = Cutoff(business_days_before=1, at=time(17, 0))
    funding_business_days_before: StrictInt = Field(1, ge=0, le=30)


class PayrollPolicy(PolicyGroup):
    request_cutoff_other_banks: Cutoff = Cutoff(business_days_before=2, at=time(11, 0))
    request_cutoff_own_bank_only: Cutoff = Cutoff(business_days_before=1, at=time(14, 0))
    funding_business_days_before_other_banks: StrictInt = Field(3, ge=0, le=30)
    funding_business_days_before_own_bank_only: StrictInt = Field(1, ge=0, le=30)


class LocalTaxPolicy(PolicyGroup):
    # A holiday payment day moves to the next business day (002 第5条8(2)); 28 keeps every
    # month valid.
    payment_day_of_month: StrictInt = Field(10, ge=1, le=28)
    request_cutoff: Cutoff = Cutoff(business_days_before=3, at=time(14, 0))
    funding_business_days_before: StrictInt = Field(1, ge=0, le=30)
    # 納付手数料 per municipality line (002 第5条8(1) "当行所定の納付手数料").
    fee_per_municipality: YenAmount = 110
    # Receipts are issued from the next business day after payment (002 第5条8(6)).
    receipt_business_days_after: StrictInt = Field(1, ge=0, le=30)


class DirectDebitPolicy(PolicyGroup):
    request_cutoff: Cutoff = Cutoff(business_days_before=5, at=time(15, 0))
    settlement_business_days_after: StrictInt = Field(1, ge=0, le=30)
    fee_per_item: YenAmount = 110


class CollectionPolicy(PolicyGroup):
    request_cutoff: Cutoff = Cutoff(business_days_before=10, at=time(15, 0))
    settlement_business_days_after: StrictInt = Field(7, ge=0, le=30)
    fee_per_item: YenAmount = 165


class CourseFees(PolicyGroup):
    light: YenAmount
    basic: YenAmount
    comprehensive: YenAmount


class FeePolicy(PolicyGroup):
    monthly_base_fee: CourseFees = CourseFees(light=0, basic=1_100, comprehensive=3_300)
    monthly_fee_debit_day: StrictInt = Field(10, ge=1, le=28)
    token_extra_issue_fee: YenAmount = 2_200
    token_reissue_fee: YenAmount = 2_200


class KycPolicy(PolicyGroup):
    interval_days: StrictInt = Field(365, ge=1, le=3650)
    deadline_days: StrictInt = Field(30, ge=1, le=365)
    face_image_retention_days: StrictInt = Field(90, ge=1, le=3650)
    # Face matching (KYC-5; kinko.verification). Distances are the matcher's descriptor
    # distance in thousandths (0.600 = 600): at or below the accept bound the faces are the
    # same person, above the reject bound different people, in between an operator decides.
    face_accept_max_distance_milli: StrictInt = Field(500, ge=0, le=2000)
    face_reject_above_distance_milli: StrictInt = Field(600, ge=0, le=2000)
    # A face smaller than this (detector box side, pixels) is refused, not matched: too few
    # pixels make the descriptor unreliable.
    face_min_size_px: StrictInt = Field(60, ge=20, le=2000)
    # "builtin": the offline dlib matcher; "vendor": the external vendor's HTTP API (its URL
    # and key are settings: KINKO_FACE_VENDOR_URL, KINKO_FACE_VENDOR_KEY).
    face_matcher: Literal["builtin", "vendor"] = "builtin"
    # Head-turn check of the capture (presentation attack): the nose must move sideways by at
    # least this share of the eye distance, in thousandths, between the frames.
    head_turn_min_milli: StrictInt = Field(150, ge=10, le=2000)
    # KYC-4 "may restrict": a different person or a missed deadline restricts the account.
    restrict_on_failure: StrictBool = True

    @model_validator(mode="after")
    def _bands_in_order(self) -> Self:
        if self.face_accept_max_distance_milli > self.face_reject_above_distance_milli:
            raise ValueError("face_accept_max_distance_milli must not exceed "
                             "face_reject_above_distance_milli")
        return self


class CompensationPolicy(PolicyGroup):
    window_days: StrictInt = Field(30, ge=1, le=365)
    limitation_years: StrictInt = Field(2, ge=1, le=20)
    retail_partial_rate_per_100k: Rate = 75_000
    corporate_annual_cap: YenAmount = 10_000_000
    # A corporate password older than this at the theft reduces compensation (004 第2条⑤).
    password_age_months: StrictInt = Field(3, ge=1, le=120)
    # --- claims (kinko.claims): the values each product profile reads ---
    # 002 第16条 leaves the compensation limit to the bank (当行所定の限度額); Kinko's default is
    # 004's. Retail products (001, 003) have no annual cap.
    corporate_002_annual_cap: YenAmount = 10_000_000
    # The year the annual cap counts in: the calendar year, or the fiscal year from 1 April.
    cap_year_basis: Literal["calendar", "fiscal"] = "calendar"
    # CLM-5 reductions (004 第2条1 ①②⑤⑦): the seeds say the amount "is reduced" without a
    # figure, so each is a bank-prescribed rate (Kinko default 25 %); several apply one after
    # the other (see docs/claims.md).
    reduction_prescribed_measures_per_100k: Rate = 25_000
    reduction_software_not_updated_per_100k: Rate = 25_000
    reduction_password_not_changed_per_100k: Rate = 25_000
    reduction_other_fault_per_100k: Rate = 25_000
    # Which seed's rules decide a claim on a corporate contract: the business net's own
    # article (002 第16条) or the corporate compensation rules of seed 004.
    corporate_claims_profile: Literal["corporate-002", "corporate-004"] = "corporate-002"
    # CLM-10 (003 第七条): delay damages for the bank's own processing error, per year, by
    # the days of delay (Kinko default: the statutory rate of 3 %, 民法第404条).
    delay_damages_annual_rate_per_100k: Rate = 3_000


class ContractPolicy(PolicyGroup):
    term_years: StrictInt = Field(1, ge=1, le=10)
    auto_renew: StrictBool = True
    inactivity_termination_years: StrictInt = Field(1, ge=1, le=10)
    email_bounce_termination_months: StrictInt = Field(3, ge=1, le=120)
    edelivery_retention_months: StrictInt = Field(13, ge=1, le=240)


class DepositPolicy(PolicyGroup):
    time_deposit_annual_rate_per_100k: Rate = 250
    withholding_tax_rate_per_100k: Rate = 20_315
    # The terms offered online (1, 3, 6 months, 1, 2, 3 years) and the rate an early
    # cancellation earns (期限前解約利率, never more than the deposit's own rate).
    time_deposit_terms_months: tuple[Annotated[StrictInt, Field(ge=1, le=120)], ...] = (
        1, 3, 6, 12, 24, 36)
    early_cancellation_rate_per_100k: Rate = 20

    @field_validator("time_deposit_terms_months")
    @classmethod
    def _terms(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value:
            raise ValueError("at least one term")
        return tuple(sorted(set(value)))


FunctionName = Literal["inquiry", "settings", "transfer", "payeasy", "time_deposit",
                       "time_deposit_cancel", "debit_card", "debit_card_cancel", "fx",
                       "global_service"]


class AccessPolicy(PolicyGroup):
    """Use from abroad (OVS-1) and by non-residents (PRD-5): which functions the bank allows."""

    # Refused from abroad: every fund movement by default; inquiries and settings stay open.
    refused_from_abroad: tuple[FunctionName, ...] = (
        "fx", "payeasy", "time_deposit", "time_deposit_cancel", "transfer")
    # Open to non-residents (003 第三条2(1): "a part of the service", bank-prescribed).
    non_resident_allowed: tuple[FunctionName, ...] = (
        "debit_card_cancel", "inquiry", "settings", "time_deposit_cancel", "transfer")


class InquiryPolicy(PolicyGroup):
    # How far back statements reach online (INQ-1).
    statement_months: StrictInt = Field(13, ge=1, le=120)


class OperatorPolicy(PolicyGroup):
    """The bank's own staff at the console (OPS-1): sign-in, lockout and session limits.

    Not SPEC §13 values (the seeds are about customers); Kinko defaults a bank sets to its
    internal rules.
    """

    max_failed_attempts: StrictInt = Field(5, ge=1, le=99)
    # None (written "until_released") = until a supervisor's four-eyes release.
    lockout_minutes: LockoutMinutes = 30
    password_min_length: StrictInt = Field(12, ge=8, le=128)
    password_max_length: StrictInt = Field(64, ge=8, le=128)
    session_idle_minutes: StrictInt = Field(15, ge=1, le=480)
    session_absolute_hours: StrictInt = Field(9, ge=1, le=24)
    otp_window: StrictInt = Field(1, ge=0, le=3)

    @property
    def lockout(self) -> timedelta | None:
        return None if self.lockout_minutes is None else timedelta(minutes=self.lockout_minutes)


class Policy(PolicyGroup):
    """The whole policy of one version. Build variants with ``model_copy``/the policy file."""

    calendar: CalendarPolicy = CalendarPolicy()
    auth: AuthPolicy = AuthPolicy()
    instructions: InstructionPolicy = InstructionPolicy()
    transfers: TransferPolicy = TransferPolicy()
    pay_easy: PayEasyPolicy = PayEasyPolicy()
    bulk_transfer: BulkTransferPolicy = BulkTransferPolicy()
    payroll: PayrollPolicy = PayrollPolicy()
    local_tax: LocalTaxPolicy = LocalTaxPolicy()
    direct_debit: DirectDebitPolicy = DirectDebitPolicy()
    collection: CollectionPolicy = CollectionPolicy()
    fees: FeePolicy = FeePolicy()
    kyc: KycPolicy = KycPolicy()
    compensation: CompensationPolicy = CompensationPolicy()
    contract: ContractPolicy = ContractPolicy()
    deposits: DepositPolicy = DepositPolicy()
    operators: OperatorPolicy = OperatorPolicy()
    access: AccessPolicy = AccessPolicy()
    inquiries: InquiryPolicy = InquiryPolicy()
