"""Pure rules of face verification: outcome from a distance, head-turn check (no I/O, no clock)."""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from kinko.policy.model import KycPolicy


class Outcome(enum.StrEnum):
    SAME_PERSON = "same_person"
    DIFFERENT_PERSON = "different_person"
    REVIEW = "review"
    NO_FACE = "no_face"


@dataclass(frozen=True)
class Thresholds:
    """The policy's bands, as distances (the matcher's unit)."""

    accept_max: float
    reject_above: float
    min_face_px: int

    @classmethod
    def of(cls, kyc: KycPolicy) -> Thresholds:
        return cls(accept_max=kyc.face_accept_max_distance_milli / 1000,
                   reject_above=kyc.face_reject_above_distance_milli / 1000,
                   min_face_px=kyc.face_min_size_px)

    def as_dict(self) -> dict[str, float | int]:
        return {"accept_max_distance": self.accept_max,
                "reject_above_distance": self.reject_above,
                "min_face_px": self.min_face_px}


def classify(distance: float, thresholds: Thresholds) -> Outcome:
    """Same person at or below the accept bound, different above the reject bound, and the
    band between is left to an operator (KYC-5: results are not guaranteed)."""
    if distance <= thresholds.accept_max:
        return Outcome.SAME_PERSON
    if distance > thresholds.reject_above:
        return Outcome.DIFFERENT_PERSON
    return Outcome.REVIEW


@dataclass(frozen=True)
class FacePose:
    """Where the 5-point model put a face's eyes and nose in one frame (pixels)."""

    left_eye: tuple[float, float]
    right_eye: tuple[float, float]
    nose: tuple[float, float]

    def yaw(self) -> float:
        """Sideways offset of the nose from the eyes' midpoint, in eye distances: about 0 for a
        frontal face, positive or negative as the head turns one way or the other. Scale-free,
        so moving the phone closer does not look like a turn."""
        mid_x = (self.left_eye[0] + self.right_eye[0]) / 2
        mid_y = (self.left_eye[1] + self.right_eye[1]) / 2
        dx = self.right_eye[0] - self.left_eye[0]
        dy = self.right_eye[1] - self.left_eye[1]
        eye_distance = math.hypot(dx, dy)
        if eye_distance == 0:
            return 0.0
        # Project the nose offset on the eye line: a roll of the head (tilt) is not a turn.
        return ((self.nose[0] - mid_x) * dx + (self.nose[1] - mid_y) * dy) / eye_distance ** 2


def head_turned(poses: Sequence[FacePose], min_turn: float) -> bool:
    """Whether the frames show the head turning: the yaw spans at least ``min_turn``. A photo
    held to the camera (a presentation attack) moves as a whole and keeps its yaw."""
    if len(poses) < 2:
        return False
    yaws = [p.yaw() for p in poses]
    return max(yaws) - min(yaws) >= min_turn


def next_due(baseline: datetime, interval_days: int) -> datetime:
    """When the next verification is due: one interval after the last passed verification, or
    after the document face was registered (account opening) when none has passed yet."""
    return baseline + timedelta(days=interval_days)


def deadline_of(due_at: datetime, deadline_days: int) -> datetime:
    return due_at + timedelta(days=deadline_days)
