"""Secret hashing, encryption at rest and token digests (AUTH-10, DESIGN security defaults).

- Every secret a customer types (password, confirmation password, PIN, secret phrase) is an
  argon2id hash with the OWASP parameters; :meth:`SecretHasher.verify` also says when a stored
  hash was made with older parameters so that the login can rehash it.
- TOTP seeds, card grids and the CA key are encrypted with AES-256-GCM under a key derived
  from the secret key (:mod:`kinko.keys`) with HKDF; each ciphertext names the key it was made
  with, so a new secret key can be introduced while old ciphertexts stay readable (the
  previous keys of ``KINKO_SECRET_KEY_PREVIOUS``).
- Session tokens and challenge answers are random or short-lived, so a keyed SHA-256 (HMAC)
  is enough and keeps the hot path free of argon2. Lookups by digest try the current key's
  digest and the previous keys' (:func:`keyed_digests`), so a rotation logs nobody out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kinko.keys import derive, keyring


@dataclass(frozen=True)
class Argon2Parameters:
    time_cost: int
    memory_cost: int   # KiB
    parallelism: int
    hash_len: int = 32
    salt_len: int = 16


# OWASP Password Storage Cheat Sheet: argon2id, m = 19 MiB, t = 2, p = 1.
OWASP = Argon2Parameters(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# For tests only: the same algorithm at the smallest cost argon2 accepts.
CHEAP_FOR_TESTS = Argon2Parameters(time_cost=1, memory_cost=8, parallelism=1)


@dataclass(frozen=True)
class Verification:
    ok: bool
    needs_rehash: bool = False


class SecretHasher:
    """argon2id hashing with one parameter set; verifies hashes made with any parameters."""

    def __init__(self, params: Argon2Parameters = OWASP) -> None:
        self.params = params
        self._ph = PasswordHasher(time_cost=params.time_cost, memory_cost=params.memory_cost,
                                  parallelism=params.parallelism, hash_len=params.hash_len,
                                  salt_len=params.salt_len, type=Type.ID)
        self._dummy: str | None = None

    def hash(self, secret: str) -> str:
        return self._ph.hash(secret)

    def verify(self, stored: str, secret: str) -> Verification:
        try:
            self._ph.verify(stored, secret)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return Verification(ok=False)
        return Verification(ok=True, needs_rehash=self._ph.check_needs_rehash(stored))

    def dummy_verify(self, secret: str) -> None:
        """Spend what a real verification costs, so an unknown user cannot be told apart."""
        if self._dummy is None:
            self._dummy = self._ph.hash(secrets.token_urlsafe(16))
        self.verify(self._dummy, secret)


_hasher = SecretHasher()


def hasher() -> SecretHasher:
    """The hasher the services use (production parameters unless a test swapped it)."""
    return _hasher


@contextmanager
def use_hasher(replacement: SecretHasher) -> Iterator[SecretHasher]:
    """Swap the hasher for a block (tests use :data:`CHEAP_FOR_TESTS`)."""
    global _hasher  # noqa: PLW0603 - one process-wide hasher, swapped only by tests
    previous, _hasher = _hasher, replacement
    try:
        yield replacement
    finally:
        _hasher = previous


def constant_time_equals(a: str | bytes, b: str | bytes) -> bool:
    left = a.encode() if isinstance(a, str) else a
    right = b.encode() if isinstance(b, str) else b
    return hmac.compare_digest(left, right)


# --- keys derived from the secret key -------------------------------------------------------

def _secret() -> bytes:
    return keyring().current


def derived_key(purpose: str, secret: bytes | None = None) -> bytes:
    """A 256-bit key for one purpose, so one leaked derived key opens nothing else."""
    return derive(secret if secret is not None else _secret(), purpose)


def keyed_digest(purpose: str, value: str | bytes) -> str:
    """HMAC-SHA256 hex of ``value``: how session tokens and challenge answers are stored."""
    data = value.encode() if isinstance(value, str) else value
    return hmac.new(derived_key(f"digest:{purpose}"), data, hashlib.sha256).hexdigest()


def keyed_digests(purpose: str, value: str | bytes) -> tuple[str, ...]:
    """The digest of ``value`` under the current key, then under each previous key: what a
    lookup or comparison accepts while a rotation is under way."""
    data = value.encode() if isinstance(value, str) else value
    return tuple(hmac.new(derived_key(f"digest:{purpose}", secret), data, hashlib.sha256
                          ).hexdigest() for secret in keyring().all)


def digest_matches(purpose: str, value: str | bytes, stored: str) -> bool:
    """Whether ``stored`` is the digest of ``value`` under any configured key (constant time
    per key)."""
    checked = [hmac.compare_digest(stored.encode(), d.encode())
               for d in keyed_digests(purpose, value)]   # all of them: no early exit
    return any(checked)


def new_token(nbytes: int = 32) -> str:
    """A URL-safe random token; the default 256 bits is well above the 128-bit floor."""
    if nbytes < 16:
        raise ValueError("tokens carry at least 128 bits")
    return secrets.token_urlsafe(nbytes)


# --- AES-GCM encryption at rest -------------------------------------------------------------

_VERSION = b"\x01"
_KID_LEN = 4
_NONCE_LEN = 12


class DecryptionFailed(Exception):
    """The ciphertext was altered, belongs to another row, or its key is not configured."""


def _kid(key: bytes) -> bytes:
    return hashlib.sha256(b"kid" + key).digest()[:_KID_LEN]


def encrypt(purpose: str, plaintext: bytes, *, context: str) -> bytes:
    """Encrypt under the current key. ``context`` (e.g. a token serial) is bound as associated
    data, so a ciphertext copied onto another row does not decrypt there."""
    key = derived_key(f"aead:{purpose}")
    nonce = secrets.token_bytes(_NONCE_LEN)
    sealed = AESGCM(key).encrypt(nonce, plaintext, context.encode())
    return _VERSION + _kid(key) + nonce + sealed


def decrypt(purpose: str, blob: bytes, *, context: str,
            previous_secrets: Sequence[bytes] = ()) -> bytes:
    """Decrypt with whichever configured key made ``blob`` (current or previous secrets)."""
    if len(blob) < 1 + _KID_LEN + _NONCE_LEN + 16 or blob[:1] != _VERSION:
        raise DecryptionFailed("unknown ciphertext format")
    kid = blob[1:1 + _KID_LEN]
    nonce = blob[1 + _KID_LEN:1 + _KID_LEN + _NONCE_LEN]
    sealed = blob[1 + _KID_LEN + _NONCE_LEN:]
    for secret in (*keyring().all, *previous_secrets):
        key = derived_key(f"aead:{purpose}", secret)
        if hmac.compare_digest(_kid(key), kid):
            try:
                return AESGCM(key).decrypt(nonce, sealed, context.encode())
            except Exception as exc:   # InvalidTag: tampered or moved to another row
                raise DecryptionFailed("ciphertext does not authenticate") from exc
    raise DecryptionFailed("no configured key made this ciphertext")


def needs_reencryption(purpose: str, blob: bytes) -> bool:
    """True when ``blob`` was made with a previous secret key (a rotation job re-encrypts)."""
    return blob[1:1 + _KID_LEN] != _kid(derived_key(f"aead:{purpose}"))
