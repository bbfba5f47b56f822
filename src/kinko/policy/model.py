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
from typing import Literal, Self

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

    @model_validator(mode="after")
    def _length_range(self) -> Self:
        if self.password_min_length > self.password_max_length:
            raise ValueError("password_min_length must not exceed password_max_length")
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


class CompensationPolicy(PolicyGroup):
    window_days: StrictInt = Field(30, ge=1, le=365)
    limitation_years: StrictInt = Field(2, ge=1, le=20)
    retail_partial_rate_per_100k: Rate = 75_000
    corporate_annual_cap: YenAmount = 10_000_000
    # A corporate password older than this at the theft reduces compensation (004 第2条⑤).
    password_age_months: StrictInt = Field(3, ge=1, le=120)


class ContractPolicy(PolicyGroup):
    term_years: StrictInt = Field(1, ge=1, le=10)
    auto_renew: StrictBool = True
    inactivity_termination_years: StrictInt = Field(1, ge=1, le=10)
    email_bounce_termination_months: StrictInt = Field(3, ge=1, le=120)
    edelivery_retention_months: StrictInt = Field(13, ge=1, le=240)


class DepositPolicy(PolicyGroup):
    time_deposit_annual_rate_per_100k: Rate = 250
    withholding_tax_rate_per_100k: Rate = 20_315


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
