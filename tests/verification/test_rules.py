"""Pure rules: outcome bands and the head-turn check."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kinko.verification.rules import FacePose, Outcome, Thresholds, classify, head_turned

T = Thresholds(accept_max=0.5, reject_above=0.6, min_face_px=60)


def test_bands_are_inclusive_of_the_accept_bound_and_exclusive_of_the_reject_bound() -> None:
    assert classify(0.5, T) is Outcome.SAME_PERSON
    assert classify(0.55, T) is Outcome.REVIEW
    assert classify(0.6, T) is Outcome.REVIEW
    assert classify(0.6001, T) is Outcome.DIFFERENT_PERSON


@given(st.floats(0, 2), st.floats(0, 2))
def test_a_larger_distance_is_never_a_better_outcome(a: float, b: float) -> None:
    rank = {Outcome.SAME_PERSON: 0, Outcome.REVIEW: 1, Outcome.DIFFERENT_PERSON: 2}
    low, high = sorted((a, b))
    assert rank[classify(low, T)] <= rank[classify(high, T)]


def _pose(nose_x: float, scale: float = 1.0, shift: float = 0.0) -> FacePose:
    return FacePose((shift + 100 * scale, 100 * scale), (shift + 160 * scale, 100 * scale),
                    (shift + nose_x * scale, 150 * scale))


def test_a_head_turn_moves_the_nose_across_the_eyes() -> None:
    assert head_turned([_pose(130), _pose(145), _pose(118)], min_turn=0.15)


def test_a_photo_moved_closer_or_sideways_is_not_a_turn() -> None:
    assert not head_turned([_pose(130), _pose(130, scale=1.5), _pose(130, shift=80)],
                           min_turn=0.15)
    assert not head_turned([_pose(130)], min_turn=0.15)
