"""The built-in policy is SPEC §13's table, and its values are validated (POL-1)."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from pydantic import ValidationError

from kinko.policy import RATE_SCALE, FeeDestination, Policy
from kinko.policy.model import AuthPolicy, FeeBand, TransferPolicy

P = Policy()


def test_auth_defaults() -> None:
    """AUTH-6, AUTH-8: 5 attempts, 30 min (retail 001: until released), 3 lockouts, 90 days."""
    assert P.auth.max_failed_attempts == 5
    assert P.auth.lockout_duration() == timedelta(minutes=30)
    assert P.auth.lockout_duration("corporate-002") == timedelta(minutes=30)
    assert P.auth.lockout_duration("retail-001") is None
    assert P.auth.lockouts_before_block == 3
    assert P.auth.password_expiry_days == 90
    assert (P.auth.password_min_length, P.auth.password_max_length) == (8, 32)
    assert P.auth.password_needs_letter_and_digit
    assert P.auth.password_history == 5


def test_instruction_and_transfer_defaults() -> None:
    """INS-1, XFER-3, XFER-4, XFER-6, XFER-7, XFER-5, PAY-1."""
    assert P.calendar.time_zone == "Asia/Tokyo"
    assert P.calendar.extra_closing_days == ()
    assert P.instructions.confirmation_deadline == timedelta(minutes=10)
    t = P.transfers
    assert t.value_date_max_business_days == 7
    assert t.future_dated_debit_time == time(9, 0)
    assert t.same_day_cutoff == time(15, 0)
    assert t.retail_daily_limit == 1_000_000
    assert t.recall_fee == 880
    assert P.pay_easy.daily_limit == 1_000_000


@pytest.mark.parametrize(
    ("destination", "amount", "fee"),
    [
        (FeeDestination.OWN_BRANCH, 5_000_000, 0),
        (FeeDestination.OTHER_BRANCH, 1, 110),
        (FeeDestination.OTHER_BRANCH, 5_000_000, 110),
        (FeeDestination.OTHER_BANK, 1, 330),
        (FeeDestination.OTHER_BANK, 29_999, 330),
        (FeeDestination.OTHER_BANK, 30_000, 440),
        (FeeDestination.OTHER_BANK, 999_999_999, 440),
    ],
)
def test_transfer_fee_table(destination: FeeDestination, amount: int, fee: int) -> None:
    assert P.transfers.transfer_fee(destination, amount) == fee


def test_transfer_fee_refuses_a_negative_amount() -> None:
    with pytest.raises(ValueError):
        P.transfers.transfer_fee(FeeDestination.OTHER_BANK, -1)


def test_corporate_service_defaults() -> None:
    """BULK-1, PAYR-1, TAX-1, DD-1, DD-2 cutoffs and settlement days."""
    assert (P.bulk_transfer.request_cutoff.business_days_before,
            P.bulk_transfer.request_cutoff.at) == (1, time(17))
    assert P.bulk_transfer.funding_business_days_before == 1
    assert (P.payroll.request_cutoff_other_banks.business_days_before,
            P.payroll.request_cutoff_other_banks.at) == (2, time(11))
    assert (P.payroll.request_cutoff_own_bank_only.business_days_before,
            P.payroll.request_cutoff_own_bank_only.at) == (1, time(14))
    assert P.payroll.funding_business_days_before_other_banks == 3
    assert P.payroll.funding_business_days_before_own_bank_only == 1
    assert P.local_tax.payment_day_of_month == 10
    assert (P.local_tax.request_cutoff.business_days_before,
            P.local_tax.request_cutoff.at) == (3, time(14))
    assert P.local_tax.funding_business_days_before == 1
    assert P.direct_debit.settlement_business_days_after == 1
    assert P.collection.settlement_business_days_after == 7


def test_fee_defaults() -> None:
    """FEE-1, CRED-1: base fee per course; token extra issue and reissue fees."""
    fees = P.fees.monthly_base_fee
    assert (fees.light, fees.basic, fees.comprehensive) == (0, 1_100, 3_300)
    assert (P.fees.token_extra_issue_fee, P.fees.token_reissue_fee) == (2_200, 2_200)


def test_kyc_compensation_contract_and_deposit_defaults() -> None:
    """KYC-1, CLM-2, CLM-4, CLM-5, CLM-8, CTR-1, CTR-2, EDOC-1, TD-1."""
    assert (P.kyc.interval_days, P.kyc.deadline_days) == (365, 30)
    c = P.compensation
    assert (c.window_days, c.limitation_years) == (30, 2)
    assert c.retail_partial_rate_per_100k * 100 == 75 * RATE_SCALE
    assert c.corporate_annual_cap == 10_000_000
    assert c.password_age_months == 3
    k = P.contract
    assert (k.term_years, k.auto_renew) == (1, True)
    assert k.inactivity_termination_years == 1
    assert k.email_bounce_termination_months == 3
    assert k.edelivery_retention_months == 13
    # 20.315 % exactly, with no float in sight
    assert P.deposits.withholding_tax_rate_per_100k == 20_315
    assert 1_000_000 * P.deposits.withholding_tax_rate_per_100k // RATE_SCALE == 203_150


def test_no_float_anywhere_in_the_policy() -> None:
    def walk(value: object) -> None:
        assert not isinstance(value, float)
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    walk(P.model_dump())


def test_policy_is_frozen() -> None:
    with pytest.raises(ValidationError):
        P.transfers.recall_fee = 0  # type: ignore[misc]


@pytest.mark.parametrize("bad", [-1, 1.0, 1e6, "1.5", True, None, "abc"])
def test_money_fields_refuse_anything_but_whole_yen(bad: object) -> None:
    with pytest.raises(ValidationError, match="recall_fee"):
        TransferPolicy.model_validate({"recall_fee": bad})


def test_money_fields_accept_written_yen() -> None:
    """LED-1: the same forms kinko.money accepts."""
    assert TransferPolicy.model_validate({"recall_fee": "1,100円"}).recall_fee == 1_100
    assert TransferPolicy.model_validate({"recall_fee": 0}).recall_fee == 0


def test_cross_field_rules() -> None:
    with pytest.raises(ValidationError, match="password_min_length must not exceed"):
        AuthPolicy(password_min_length=20, password_max_length=10)
    with pytest.raises(ValidationError, match="retail_per_transaction_limit must not exceed"):
        TransferPolicy(retail_per_transaction_limit=2_000_000)
    with pytest.raises(ValidationError, match="other_bank needs a band"):
        TransferPolicy(fee_bands=(
            FeeBand(destination=FeeDestination.OWN_BRANCH, fee=0),
            FeeBand(destination=FeeDestination.OTHER_BRANCH, fee=0),
        ))
    with pytest.raises(ValidationError, match="two bands"):
        TransferPolicy(fee_bands=(*P.transfers.fee_bands, P.transfers.fee_bands[0]))


def test_times_refuse_seconds_since_midnight() -> None:
    """POL-1: pydantic would read 54000 as 15:00; a policy file must say 15:00."""
    with pytest.raises(ValidationError, match="time of day"):
        TransferPolicy.model_validate({"same_day_cutoff": 54_000})
    assert TransferPolicy.model_validate({"same_day_cutoff": "14:30"}).same_day_cutoff == time(
        14, 30
    )


def test_lockout_until_released_is_written_as_text() -> None:
    """AUTH-6: TOML has no null, so "until-released" stands for None."""
    auth = AuthPolicy.model_validate({"lockout_minutes": "until-released"})
    assert auth.lockout_minutes is None
    assert auth.lockout_duration() is None
    assert auth.model_dump()["lockout_minutes"] == "until-released"
    with pytest.raises(ValidationError, match="lockout_minutes"):
        AuthPolicy.model_validate({"lockout_minutes": 0})
    with pytest.raises(ValidationError, match="lockout_minutes"):
        AuthPolicy.model_validate({"lockout_minutes": "forever"})
