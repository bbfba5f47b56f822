"""One verification as the customer takes it (KYC-3): the head-turn check over the captured
frames, the match of the selfie against the registered document face, the outcome recorded.

The head-turn check is Kinko's basic presentation-attack check: the page asks the customer to
turn their head, and the 5-point landmarks of the frames must show the nose moving across the
line of the eyes (:func:`kinko.verification.rules.head_turned`). A printed photo or a screen
held to the camera moves as a whole and fails it. It is no defence against a video replay or
a mask; a vendor's liveness check is (docs/verification.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from kinko.policy import Policy
from kinko.policy.model import KycPolicy
from kinko.verification import images, service
from kinko.verification.dlib_matcher import largest_face, pose_of
from kinko.verification.errors import FaceNotFound
from kinko.verification.matchers import matcher_for
from kinko.verification.rules import Thresholds, head_turned

MAX_FRAMES = 12


def shows_head_turn(selfie: bytes, frames: Sequence[bytes], kyc: KycPolicy) -> bool:
    poses = [p for p in (pose_of(image) for image in (selfie, *frames[:MAX_FRAMES]))
             if p is not None]
    return head_turned(poses, kyc.head_turn_min_milli / 1000)


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
