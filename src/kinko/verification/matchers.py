"""Which matcher the bank uses: the policy's ``kyc.face_matcher``, the vendor's address and key
from the settings."""

from __future__ import annotations

from kinko.config import get_settings
from kinko.policy.model import KycPolicy
from kinko.verification.matching import FaceMatcher


def matcher_for(kyc: KycPolicy) -> FaceMatcher:
    if kyc.face_matcher == "vendor":
        from kinko.verification.vendor import VendorMatcher

        settings = get_settings()
        return VendorMatcher(settings.face_vendor_url,
                             settings.face_vendor_key.get_secret_value().encode(),
                             settings.face_vendor_timeout_s)
    from kinko.verification.dlib_matcher import DlibMatcher

    return DlibMatcher()
