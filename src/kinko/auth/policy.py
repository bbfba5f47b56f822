"""The authentication rules in force for one product and course at one moment (POL-1).

Products and their factor combinations are policy, not code (AUTH-1: "each product uses a
bank-configured combination, which can differ per operation"): :class:`ProductProfile` lists,
per product, which factors a login needs and which each kind of operation needs for step-up.
The profiles (``auth.products``), attempts before lockout, the lockout time, the password
rules, phone-call authentication, session and challenge lifetimes come from the bank's
versioned policy (:mod:`kinko.policy`, SPEC §13); the few values it does not hold (card size,
webhook tolerance) have defaults here. Tests and the demo override any of them for a block
with :func:`overridden`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from kinko import clock
from kinko.auth.models import Course, Product
from kinko.policy import Policy
from kinko.policy.model import ProductFactors


class Factor(enum.StrEnum):  # factor names, not secrets (S105 false positives)
    PASSWORD = "password"  # noqa: S105  # login password
    CERTIFICATE = "certificate"                      # client certificate (AUTH-11)
    CONFIRMATION_CODE = "confirmation_code"          # 確認コード (003)
    ATTRIBUTE = "attribute"                          # registered name / phone (AUTH-2)
    SECRET_PHRASE = "secret_phrase"  # noqa: S105  # 合言葉
    OTP = "otp"                                      # hard or soft token (AUTH-5)
    CONFIRMATION_PASSWORD = "confirmation_password"  # noqa: S105  # 確認用パスワード
    CARD = "card"                                    # お取引確認番号 cells
    PHONE_CALL = "phone_call"                        # 電話による認証 (AUTH-4)
    SMARTPHONE = "smartphone"                        # スマホ認証 (AUTH-12)


class Operation(enum.StrEnum):
    """Kinds of operation that may need step-up (AUTH-3)."""

    TRANSFER = "transfer"              # 振込・振替
    PAY_EASY = "pay_easy"              # ペイジー
    FUND_MOVEMENT = "fund_movement"    # other money-moving instructions (bulk, tax, FX, TD …)
    LIMIT_CHANGE = "limit_change"      # raising a limit
    SETTINGS = "settings"              # settings changes (e-mail, users, payees …)
    APPROVAL = "approval"              # corporate approval of a request


FUNDS = (Operation.TRANSFER, Operation.PAY_EASY, Operation.FUND_MOVEMENT)


@dataclass(frozen=True)
class ProductProfile:
    """Which factors a product asks for (AUTH-1); bank-configurable data, not code paths."""

    product: Product
    login: tuple[Factor, ...]
    # Asked after the first step when configured for the user (e.g. a registered 合言葉).
    login_second_step: tuple[Factor, ...] = ()
    step_up: Mapping[Operation, tuple[Factor, ...]] = field(default_factory=dict)
    # Courses whose users must all use an OTP token (CRED-3); None = every user of the product.
    otp_courses: frozenset[Course] | None = None
    # Operations that also need phone-call authentication when the bank turns it on (AUTH-4).
    phone_call_operations: frozenset[Operation] = frozenset()
    # Attributes checked at login (AUTH-2), e.g. ("phone",) or ("name_kana",).
    login_attributes: tuple[str, ...] = ()

    def otp_required(self, course: Course | None) -> bool:
        return self.otp_courses is None or (course is not None and course in self.otp_courses)


def profile_from_policy(product: Product, factors: ProductFactors) -> ProductProfile:
    """The product's profile as the bank's policy file states it (``auth.products``)."""
    return ProductProfile(
        product=product,
        login=tuple(Factor(f) for f in factors.login),
        login_second_step=tuple(Factor(f) for f in factors.login_second_step),
        step_up={Operation(op): tuple(Factor(f) for f in fs)
                 for op, fs in factors.step_up.items()},
        otp_courses=None if factors.otp_for_every_user else frozenset(
            Course(c) for c in factors.otp_courses),
        phone_call_operations=frozenset(Operation(op) for op in factors.phone_call_operations),
        login_attributes=tuple(factors.login_attributes),
    )


# The built-in defaults (SPEC §13), as the policy model states them.
DEFAULT_PROFILES: Mapping[Product, ProductProfile] = {
    product: profile_from_policy(product, Policy().auth.products[product.value])
    for product in Product
}


@dataclass(frozen=True)
class AuthRules:
    """Everything authentication needs to decide, resolved for one product/course/moment."""

    profile: ProductProfile
    course: Course | None
    # From the bank policy (SPEC §13).
    max_failed_attempts: int = 5
    lockout_duration: timedelta | None = timedelta(minutes=30)   # None = until released
    lockouts_before_block: int = 3
    password_expiry: timedelta = timedelta(days=90)
    password_min_length: int = 8
    password_max_length: int = 32
    password_needs_letter_and_digit: bool = True
    password_history: int = 5
    token_extra_issue_fee: int = 2_200
    token_reissue_fee: int = 2_200
    throttle_window: timedelta = timedelta(minutes=15)
    throttle_failures_per_address: int = 100
    throttle_failures_per_id: int = 4
    # Kinko defaults for values the bank policy does not hold yet.
    login_id_min_length: int = 6
    login_id_max_length: int = 12
    session_idle: timedelta = timedelta(minutes=15)
    session_absolute: timedelta = timedelta(hours=2)
    limited_session_absolute: timedelta = timedelta(minutes=15)   # second factor / change only
    step_up_validity: timedelta = timedelta(minutes=5)
    otp_window: int = 1                    # accepted steps either side of now (RFC 6238 §5.2)
    confirmation_code_ttl: timedelta = timedelta(minutes=5)
    confirmation_code_length: int = 6
    card_rows: int = 5
    card_cols: int = 6
    card_cell_digits: int = 2
    card_cells_per_challenge: int = 2
    card_challenge_ttl: timedelta = timedelta(minutes=5)
    phone_call_window: timedelta = timedelta(minutes=5)
    phone_call_number: str = "0120000000"    # the bank-designated number customers call
    webhook_tolerance: timedelta = timedelta(minutes=5)
    hard_token_validity_days: int = 5 * 365
    certificate_validity_days: int = 365
    certificate_renewal_window: timedelta = timedelta(days=30)
    approval_ttl: timedelta = timedelta(minutes=5)
    notify_login: bool = True
    phone_call_enabled: bool = False

    def otp_required(self) -> bool:
        return self.profile.otp_required(self.course)

    def step_up_factors(self, operation: Operation) -> tuple[Factor, ...]:
        """The factors ``operation`` needs now; OTP only where the course uses tokens."""
        factors = [f for f in self.profile.step_up.get(operation, ())
                   if f is not Factor.OTP or self.otp_required()]
        if self.phone_call_enabled and operation in self.profile.phone_call_operations:
            factors.append(Factor.PHONE_CALL)
        return tuple(factors)


_overrides: dict[str, Any] = {}
_profile_overrides: dict[Product, ProductProfile] = {}


def _bank_policy(at: datetime) -> Policy:
    from kinko.policy import policy_at

    return policy_at(at)


def _bank_policy_values(policy: Policy, product: Product) -> dict[str, Any]:
    auth = policy.auth
    return {
        "max_failed_attempts": auth.max_failed_attempts,
        "lockout_duration": auth.lockout_duration(product.value),
        "lockouts_before_block": auth.lockouts_before_block,
        "password_expiry": timedelta(days=auth.password_expiry_days),
        "password_min_length": auth.password_min_length,
        "password_max_length": auth.password_max_length,
        "password_needs_letter_and_digit": auth.password_needs_letter_and_digit,
        "password_history": auth.password_history,
        "token_extra_issue_fee": policy.fees.token_extra_issue_fee,
        "token_reissue_fee": policy.fees.token_reissue_fee,
        "throttle_window": timedelta(minutes=auth.throttle_window_minutes),
        "throttle_failures_per_address": auth.throttle_failures_per_address,
        "throttle_failures_per_id": auth.throttle_failures_per_id,
        "phone_call_enabled": auth.phone_call_enabled,
        "phone_call_window": timedelta(minutes=auth.phone_call_window_minutes),
        "phone_call_number": auth.phone_call_number,
        "login_id_min_length": auth.login_id_min_length,
        "login_id_max_length": auth.login_id_max_length,
        "session_idle": timedelta(minutes=auth.session_idle_minutes),
        "session_absolute": timedelta(minutes=auth.session_absolute_minutes),
        "limited_session_absolute": timedelta(minutes=auth.limited_session_minutes),
        "step_up_validity": timedelta(minutes=auth.step_up_validity_minutes),
        "otp_window": auth.otp_window_steps,
        "confirmation_code_ttl": timedelta(minutes=auth.confirmation_code_ttl_minutes),
        "card_challenge_ttl": timedelta(minutes=auth.card_challenge_ttl_minutes),
        "approval_ttl": timedelta(minutes=auth.approval_ttl_minutes),
        "hard_token_validity_days": auth.hard_token_validity_days,
        "certificate_validity_days": auth.certificate_validity_days,
        "certificate_renewal_window": timedelta(days=auth.certificate_renewal_window_days),
        "notify_login": auth.notify_login,
    }


def rules_for(product: Product, course: Course | None = None,
              at: datetime | None = None) -> AuthRules:
    """The rules in force at ``at`` (default now) for ``product`` and ``course``."""
    moment = clock.now() if at is None else at
    policy = _bank_policy(moment)
    profile = _profile_overrides.get(product) or profile_from_policy(
        product, policy.auth.products[product.value])
    values = _bank_policy_values(policy, product)
    values.update(_overrides)
    return AuthRules(profile=profile, course=course, **values)


@contextmanager
def overridden(*, profiles: Mapping[Product, ProductProfile] | None = None,
               **values: Any) -> Iterator[None]:
    """Override rule values (and profiles) for a block: tests and the demo bank use this."""
    known = set(AuthRules.__dataclass_fields__) - {"profile", "course"}
    unknown = set(values) - known
    if unknown:
        raise TypeError(f"unknown auth rule(s): {sorted(unknown)}")
    saved, saved_profiles = dict(_overrides), dict(_profile_overrides)
    _overrides.update(values)
    _profile_overrides.update(profiles or {})
    try:
        yield
    finally:
        _overrides.clear()
        _overrides.update(saved)
        _profile_overrides.clear()
        _profile_overrides.update(saved_profiles)


def with_profile(product: Product, **changes: Any) -> ProductProfile:
    """A copy of a default profile with some fields changed."""
    return replace(DEFAULT_PROFILES[product], **changes)
