"""Face images at rest (KYC-6): AES-256-GCM under a key derived for this purpose only.

The key is ``kinko.keys`` HKDF of the bank's secret key with purpose ``face-images``, so a
key leaked from another use opens no image. The associated data binds a ciphertext to its
customer and kind: an image copied to another customer's row does not decrypt. Images made
under a previous secret key (``KINKO_SECRET_KEY_PREVIOUS``) stay readable.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kinko.keys import Purpose, derived_keys

NONCE_BYTES = 12


class ImageUndecryptable(RuntimeError):
    """No configured key opens the image (wrong row, tampering, or a dropped key)."""


def _aad(customer_id: int, kind: str) -> bytes:
    return f"kinko-face-image:{customer_id}:{kind}".encode()


def seal(image: bytes, *, customer_id: int, kind: str) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    key = derived_keys(Purpose.FACE_IMAGES)[0]
    return nonce + AESGCM(key).encrypt(nonce, image, _aad(customer_id, kind))


def open_sealed(blob: bytes, *, customer_id: int, kind: str) -> bytes:
    nonce, body = blob[:NONCE_BYTES], blob[NONCE_BYTES:]
    for key in derived_keys(Purpose.FACE_IMAGES):
        try:
            return AESGCM(key).decrypt(nonce, body, _aad(customer_id, kind))
        except InvalidTag:
            continue
    raise ImageUndecryptable(f"image of customer {customer_id} ({kind})")


def under_current_key(blob: bytes, *, customer_id: int, kind: str) -> bool:
    nonce, body = blob[:NONCE_BYTES], blob[NONCE_BYTES:]
    try:
        AESGCM(derived_keys(Purpose.FACE_IMAGES)[0]).decrypt(nonce, body,
                                                             _aad(customer_id, kind))
    except InvalidTag:
        return False
    return True


def reseal(blob: bytes, *, customer_id: int, kind: str) -> bytes | None:
    """The image re-encrypted under the current key, or None when it already is (key
    rotation: ``kinko keys reencrypt``)."""
    if under_current_key(blob, customer_id=customer_id, kind=kind):
        return None
    return seal(open_sealed(blob, customer_id=customer_id, kind=kind),
                customer_id=customer_id, kind=kind)
