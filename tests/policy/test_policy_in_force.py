"""POL-1: bank-prescribed settings that were constants are read from the policy version in
force — a new version (from the policy file or an approved console change) changes what the
services do from its date, with no code change."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from tests import factories

from kinko import clock
from kinko.auth.models import Product
from kinko.auth.policy import Factor, Operation, rules_for
from kinko.db import Database
from kinko.deposits import service as deposits
from kinko.deposits.errors import InvalidTerm
from kinko.errors import ValidationFailed
from kinko.inquiries import service as inquiries
from kinko.policy.store import Change, install_changes

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST)
FROM = NOW + timedelta(days=1)


@pytest.fixture(autouse=True)
def _morning() -> None:
    clock.set_now(NOW)


def _version(overrides: dict[str, Any], at: datetime = FROM) -> None:
    install_changes((Change.of(at, overrides),))


@pytest.mark.req("POL-1")
def test_phone_call_authentication_and_factors_are_switched_on_by_a_policy_version() -> None:
    _version({"auth": {"phone_call_enabled": True, "phone_call_window_minutes": 10,
                       "products": {"retail-003": {
                           "phone_call_operations": ["transfer"],
                           "step_up": {"settings": ["otp", "phone_call"]}}}}})
    before = rules_for(Product.RETAIL_003, at=NOW)
    assert Factor.PHONE_CALL not in before.step_up_factors(Operation.TRANSFER)
    after = rules_for(Product.RETAIL_003, at=FROM)
    assert after.step_up_factors(Operation.TRANSFER) == (Factor.OTP, Factor.PHONE_CALL)
    assert after.phone_call_window == timedelta(minutes=10)
    # The rest of the product's configuration is kept (a version states only what changes).
    assert after.profile.login == before.profile.login
    assert Factor.PHONE_CALL not in rules_for(Product.RETAIL_001, at=FROM).step_up_factors(
        Operation.TRANSFER)


@pytest.mark.req("POL-1")
def test_the_attribute_check_at_login_is_a_policy_setting() -> None:
    _version({"auth": {"products": {"retail-001": {"login_attributes": ["phone"]}}}})
    assert rules_for(Product.RETAIL_001, at=NOW).profile.login_attributes == ()
    assert rules_for(Product.RETAIL_001, at=FROM).profile.login_attributes == ("phone",)


@pytest.mark.req("POL-1")
def test_the_statement_period_is_the_policys(db: Database) -> None:
    with db.transaction() as s:
        actor, acc = factories.retail_actor(s, balance=1_000)
    two_months_ago = NOW.date() - timedelta(days=62)
    assert db.run(lambda s: inquiries.statement(s, actor, acc, date_from=two_months_ago))
    _version({"inquiries": {"statement_months": 1}}, at=NOW - timedelta(hours=1))
    with pytest.raises(ValidationFailed):
        db.run(lambda s: inquiries.statement(s, actor, acc, date_from=two_months_ago))


@pytest.mark.req("POL-1")
def test_time_deposit_terms_are_the_policys(db: Database) -> None:
    with db.transaction() as s:
        actor, acc = factories.retail_actor(s, balance=2_000_000)
    _version({"deposits": {"time_deposit_terms_months": [12, 60]}},
             at=NOW - timedelta(hours=1))
    with pytest.raises(InvalidTerm):
        db.run(lambda s: deposits.enter_opening(s, actor, key="t3", from_account_id=acc,
                                                amount=1_000_000, term_months=3))
    quote = db.run(lambda s: deposits.enter_opening(s, actor, key="t60", from_account_id=acc,
                                                    amount=1_000_000, term_months=60))
    assert quote.details["maturity_date"] >= date(2031, 11, 20).isoformat()
