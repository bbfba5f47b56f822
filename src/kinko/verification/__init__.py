"""Periodic user verification by face (KYC-1..6).

Individuals are asked at a policy interval to show that the person using the account is the
one whose identity documents were checked at opening: a selfie is matched against the face of
the identity document (``matching``: the :class:`~kinko.verification.matching.FaceMatcher`
interface, the built-in offline dlib matcher and the vendor adapter), with the outcome
classified by the policy's thresholds (``rules``).
"""
