"""The built-in offline matcher with the real dlib models on public-domain photos (KYC-3/5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kinko.cli import app
from kinko.policy import Policy
from kinko.verification.dlib_matcher import DlibMatcher
from kinko.verification.rules import Outcome, Thresholds
from tests.verification.faces import DATA, no_face, photo, tiny_face

THRESHOLDS = Thresholds.of(Policy().kyc)


@pytest.mark.req("KYC-3")
def test_same_person_is_accepted() -> None:
    result = DlibMatcher().match(photo("obama"), photo("obama2"), THRESHOLDS)
    assert result.outcome is Outcome.SAME_PERSON
    assert result.distance is not None and result.distance <= THRESHOLDS.accept_max


@pytest.mark.req("KYC-4")
def test_different_people_are_rejected() -> None:
    result = DlibMatcher().match(photo("obama"), photo("biden"), THRESHOLDS)
    assert result.outcome is Outcome.DIFFERENT_PERSON
    assert result.distance is not None and result.distance > THRESHOLDS.reject_above


@pytest.mark.req("KYC-5")
def test_the_review_band_comes_from_the_policy() -> None:
    # The same pair, with bands moved around its distance: the policy decides the outcome.
    distance = DlibMatcher().match(photo("obama"), photo("obama2"), THRESHOLDS).distance
    assert distance is not None
    around = Thresholds(accept_max=distance - 0.05, reject_above=distance + 0.05, min_face_px=60)
    assert DlibMatcher().match(photo("obama"), photo("obama2"), around).outcome is Outcome.REVIEW
    strict = Thresholds(accept_max=distance / 3, reject_above=distance / 2, min_face_px=60)
    assert DlibMatcher().match(photo("obama"), photo("obama2"), strict).outcome \
        is Outcome.DIFFERENT_PERSON


def test_a_photo_without_a_face_is_refused_with_a_reason() -> None:
    result = DlibMatcher().match(photo("obama"), no_face(), THRESHOLDS)
    assert (result.outcome, result.reason, result.distance) == \
        (Outcome.NO_FACE, "no_face_in_selfie", None)
    assert result.message_en is not None and "No face" in result.message_en
    result = DlibMatcher().match(no_face(), photo("obama2"), THRESHOLDS)
    assert result.reason == "no_face_in_document"


def test_a_tiny_face_is_refused_not_matched() -> None:
    result = DlibMatcher().match(photo("obama"), tiny_face(), THRESHOLDS)
    assert (result.outcome, result.reason) == (Outcome.NO_FACE, "face_too_small_in_selfie")
    assert result.message_ja == "顔が小さすぎます。カメラに近づいて撮影してください。"


def test_cli_match_prints_outcome_distance_and_thresholds() -> None:
    out = CliRunner().invoke(app, ["verification", "match", str(DATA / "obama.jpg"),
                                   str(DATA / "biden.jpg"), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["outcome"] == "different_person"
    assert data["distance"] > 0.6
    assert data["thresholds"] == {"accept_max_distance": 0.5, "reject_above_distance": 0.6,
                                  "min_face_px": 60}
    text = CliRunner().invoke(app, ["verification", "match", str(DATA / "obama.jpg"),
                                    str(DATA / "obama2.jpg")])
    assert text.exit_code == 0
    assert "outcome: same_person" in text.stdout and "distance: 0." in text.stdout


def test_cli_match_exits_0_for_no_face_and_2_for_an_unreadable_file(tmp_path: Path) -> None:
    wall = tmp_path / "wall.jpg"
    wall.write_bytes(no_face())
    out = CliRunner().invoke(app, ["verification", "match", str(DATA / "obama.jpg"), str(wall),
                                   "--json"])
    assert out.exit_code == 0
    assert json.loads(out.stdout)["outcome"] == "no_face"
    text = tmp_path / "notes.jpg"
    text.write_text("not a photo")
    bad = CliRunner().invoke(app, ["verification", "match", str(DATA / "obama.jpg"), str(text)])
    assert bad.exit_code == 2
    assert "cannot be read" in bad.stderr
    missing = CliRunner().invoke(app, ["verification", "match", str(tmp_path / "none.jpg"),
                                       str(DATA / "obama.jpg")])
    assert missing.exit_code == 2
