"""The vendor adapter against a local vendor speaking the signed HTTP JSON protocol (KYC-5)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kinko.config import reset_settings
from kinko.policy import Policy
from kinko.verification.errors import MatcherUnavailable
from kinko.verification.matchers import matcher_for
from kinko.verification.rules import Outcome, Thresholds
from kinko.verification.vendor import VendorMatcher
from tests.verification.faces import no_face, photo, tiny_face
from tests.verification.fake_vendor import FakeVendor, running_vendor

KEY = b"vendor-shared-key-for-tests-0123456789abcdef"
THRESHOLDS = Thresholds.of(Policy().kyc)


@pytest.fixture
def vendor() -> Iterator[FakeVendor]:
    with running_vendor(KEY) as v:
        yield v


@pytest.mark.req("KYC-5")
def test_policy_selects_the_vendor_and_its_distance_is_classified_by_the_bank(
        vendor: FakeVendor, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KINKO_FACE_VENDOR_URL", vendor.url)
    monkeypatch.setenv("KINKO_FACE_VENDOR_KEY", KEY.decode())
    reset_settings()
    kyc = Policy().kyc.model_copy(update={"face_matcher": "vendor"})
    matcher = matcher_for(kyc)
    assert matcher.name == "vendor"
    same = matcher.match(photo("obama"), photo("obama2"), THRESHOLDS)
    assert same.outcome is Outcome.SAME_PERSON
    assert matcher.match(photo("obama"), photo("biden"), THRESHOLDS).outcome \
        is Outcome.DIFFERENT_PERSON
    assert len(vendor.requests) == 2
    assert matcher_for(Policy().kyc).name == "builtin"


def test_no_face_and_small_faces_reported_by_the_vendor(vendor: FakeVendor) -> None:
    matcher = VendorMatcher(vendor.url, KEY)
    assert matcher.match(photo("obama"), no_face(), THRESHOLDS).reason == "no_face_in_selfie"
    assert matcher.match(photo("obama"), tiny_face(), THRESHOLDS).reason \
        == "face_too_small_in_selfie"


@pytest.mark.parametrize("mode", ["wrong-key", "unsigned", "other-request"])
def test_a_forged_or_misdirected_answer_is_refused(vendor: FakeVendor, mode: str) -> None:
    vendor.mode = mode
    with pytest.raises(MatcherUnavailable):
        VendorMatcher(vendor.url, KEY).match(photo("obama"), photo("biden"), THRESHOLDS)


def test_the_vendor_refuses_a_request_signed_with_another_key(vendor: FakeVendor) -> None:
    with pytest.raises(MatcherUnavailable, match="HTTP 401"):
        VendorMatcher(vendor.url, b"not-the-shared-key").match(
            photo("obama"), photo("obama2"), THRESHOLDS)
    assert vendor.requests == []


def test_an_unreachable_or_unconfigured_vendor_is_unavailable() -> None:
    with pytest.raises(MatcherUnavailable):
        VendorMatcher("http://127.0.0.1:9", KEY, timeout_s=2).match(
            photo("obama"), photo("obama2"), THRESHOLDS)
    with pytest.raises(MatcherUnavailable):
        VendorMatcher("", KEY)
