"""The face matcher interface (KYC-5) and what a match returns.

A matcher compares the face of the identity document with a selfie and returns a distance;
the outcome bands come from the policy (:func:`kinko.verification.rules.classify`), so the
bank sets them whatever matcher is in use. Implementations: the built-in offline matcher
(:mod:`kinko.verification.dlib_matcher`) and the vendor adapter
(:mod:`kinko.verification.vendor`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from kinko.verification.rules import Outcome, Thresholds, classify

# Why a match has no distance; each with the customer's message in Japanese and English.
NO_FACE_REASONS: dict[str, tuple[str, str]] = {
    "no_face_in_document": ("本人確認書類の写真に顔が見つかりません。",
                            "No face was found in the identity document photo."),
    "no_face_in_selfie": ("撮影された写真に顔が見つかりません。"
                          "顔全体が写るように撮影してください。",
                          "No face was found in the photo. Take it with your whole face "
                          "in the frame."),
    "face_too_small_in_document": ("本人確認書類の写真の顔が小さすぎます。",
                                   "The face in the identity document photo is too small."),
    "face_too_small_in_selfie": ("顔が小さすぎます。カメラに近づいて撮影してください。",
                                 "The face is too small. Hold the camera closer."),
}


@dataclass(frozen=True)
class MatchResult:
    outcome: Outcome
    distance: float | None
    thresholds: Thresholds
    matcher: str
    reason: str | None = None

    @classmethod
    def measured(cls, distance: float, thresholds: Thresholds, matcher: str) -> MatchResult:
        return cls(classify(distance, thresholds), round(distance, 4), thresholds, matcher)

    @classmethod
    def no_face(cls, reason: str, thresholds: Thresholds, matcher: str) -> MatchResult:
        if reason not in NO_FACE_REASONS:
            raise ValueError(f"unknown reason {reason!r}")
        return cls(Outcome.NO_FACE, None, thresholds, matcher, reason)

    @property
    def message_ja(self) -> str | None:
        return NO_FACE_REASONS[self.reason][0] if self.reason else None

    @property
    def message_en(self) -> str | None:
        return NO_FACE_REASONS[self.reason][1] if self.reason else None

    def as_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome.value, "distance": self.distance,
                "thresholds": self.thresholds.as_dict(), "matcher": self.matcher,
                "reason": self.reason, "message_ja": self.message_ja,
                "message_en": self.message_en}


class FaceMatcher(Protocol):
    """Compares two photos (encoded JPEG/PNG bytes) and classifies them by the thresholds.

    Raises :class:`~kinko.verification.errors.UnreadableImage` for bytes that are no image and
    :class:`~kinko.verification.errors.MatcherUnavailable` when a remote matcher cannot answer.
    """

    name: str

    def match(self, document: bytes, selfie: bytes, thresholds: Thresholds) -> MatchResult: ...
