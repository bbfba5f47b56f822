"""One verification as the customer takes it (KYC-3): the head-turn check over the captured
frames, the match of the selfie against the registered document face, the outcome recorded.
The caller reads what is matched against in one short transaction
(:func:`kinko.verification.service.load_for_match`), runs :func:`compare` with no transaction
open, and records the outcome in a second one (:func:`record`).

The head-turn check is Kinko's basic presentation-attack check: the page asks the customer to
turn their head, and the 5-point landmarks of the frames must show the nose moving across the
line of the eyes (:func:`kinko.verification.rules.head_turned`), on the selfie's own face.
A printed photo or a screen held to the camera moves as a whole and fails it. It is no
defence against a video replay or a mask; a vendor's liveness check is (docs/verification.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from kinko.policy import Policy
from kinko.policy.model import KycPolicy
from kinko.verification import images, service
from kinko.verification.dlib_matcher import largest_face
from kinko.verification.errors import FaceNotFound
from kinko.verification.matchers import matcher_for
from kinko.verification.matching import MatchResult
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


def readable(selfie: bytes, frames: Sequence[bytes]) -> list[bytes]:
    """The frames kept (at most ``MAX_FRAMES``); an unreadable upload is refused before
    anything is read from the database or stored."""
    kept = list(frames[:MAX_FRAMES])
    for image in (selfie, *kept):
        images.decode(image)
    return kept


@dataclass(frozen=True)
class Compared:
    head_turn: bool
    result: MatchResult | None    # None: no head turn, so no match was made


def compare(against: service.MatchInput, selfie: bytes, frames: Sequence[bytes],
            policy: Policy) -> Compared:
    """The head-turn check and the match. No database: the caller runs it with no
    transaction open (it takes a few hundred milliseconds, a vendor's round trip more)."""
    turned = shows_head_turn(selfie, frames, policy.kyc)
    result = (matcher_for(policy.kyc).match(against.document, selfie,
                                            Thresholds.of(policy.kyc))
              if turned else None)
    return Compared(turned, result)


def record(session: Session, *, against: service.MatchInput, compared: Compared,
           customer_id: int, selfie: bytes, frames: Sequence[bytes], actor: str,
           policy: Policy) -> service.Attempt:
    return service.record_attempt(session, customer_id=customer_id, case_id=against.case_id,
                                  result=compared.result, head_turn=compared.head_turn,
                                  selfie=selfie, frames=frames, actor=actor, policy=policy,
                                  matched=against)
