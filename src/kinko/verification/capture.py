"""One verification as the customer takes it (KYC-3): the head-turn check over the captured
frames, the match of the selfie against the registered document face, the outcome recorded.

The head-turn check is Kinko's basic presentation-attack check: the page asks the customer to
turn their head, and the 5-point landmarks of the frames must show the nose moving across the
line of the eyes (:func:`kinko.verification.rules.head_turned`), on the selfie's own face.
A printed photo or a screen held to the camera moves as a whole and fails it. It is no
defence against a video replay or a mask; a vendor's liveness check is (docs/verification.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy.orm import Session

from kinko.policy import Policy
from kinko.policy.model import KycPolicy
from kinko.verification import images, service
from kinko.verification.dlib_matcher import largest_face
from kinko.verification.errors import FaceNotFound
from kinko.verification.matchers import matcher_for
from kinko.verification.rules import Thresholds, head_turned

MAX_FRAMES = 12


def shows_head_turn(selfie: bytes, frames: Sequence[bytes], kyc: KycPolicy) -> bool:
    """Whether the frames show the selfie's person turning their head: the yaw must span the
    policy's minimum, and the two most turned frames must be the same person as the selfie
    (so that a live accomplice turning beside a held-up photo does not pass)."""
    seen = [(image, face) for image in (selfie, *frames[:MAX_FRAMES])
            if (face := largest_face(images.decode(image), describe=False)) is not None]
    if not head_turned([face.pose for _, face in seen], kyc.head_turn_min_milli / 1000):
        return False
    reference = largest_face(images.decode(selfie), describe=True)
    if reference is None or reference.descriptor is None:
        return False
    same_bound = kyc.face_reject_above_distance_milli / 1000
    extremes = (min(seen, key=lambda pair: pair[1].pose.yaw())[0],
                max(seen, key=lambda pair: pair[1].pose.yaw())[0])
    for image in extremes:
        face = largest_face(images.decode(image), describe=True)
        if face is None or face.descriptor is None or \
                float(np.linalg.norm(face.descriptor - reference.descriptor)) > same_bound:
            return False
    return True


def check_face(photo: bytes, kyc: KycPolicy) -> None:
    """Refuse a document photo without a face large enough to match against later."""
    face = largest_face(images.decode(photo), describe=False)
    if face is None or face.side_px < kyc.face_min_size_px:
        raise FaceNotFound


def verify(session: Session, *, customer_id: int, case_id: int, selfie: bytes,
           frames: Sequence[bytes], actor: str, policy: Policy) -> service.Attempt:
    frames = list(frames[:MAX_FRAMES])
    for image in (selfie, *frames):
        images.decode(image)  # an unreadable upload is refused before anything is stored
    document = service.document_face_for_match(session, customer_id, actor=actor)
    turned = shows_head_turn(selfie, frames, policy.kyc)
    result = (matcher_for(policy.kyc).match(document, selfie, Thresholds.of(policy.kyc))
              if turned else None)
    return service.record_attempt(session, customer_id=customer_id, case_id=case_id,
                                  result=result, head_turn=turned, selfie=selfie,
                                  frames=frames, actor=actor, policy=policy)
