"""The bank's secret key, its previous values, and the keys derived from it per purpose.

The secret key (``KINKO_SECRET_KEY``) is never used directly: every use derives its own
256-bit key with HKDF-SHA256 (:func:`kinko.auth.crypto.derived_key`), named by a purpose from
:class:`Purpose`, so a key leaked from one use opens nothing else.

Where the key comes from, first match wins:

1. ``KINKO_SECRET_KEY``;
2. the file named by ``KINKO_SECRET_KEY_FILE``;
3. ``KINKO_DATA_DIR/secret.key``, the file ``kinko demo`` generates (mode 0600).

Rotation: put the old key into ``KINKO_SECRET_KEY_PREVIOUS`` (comma-separated, newest first)
and a new one into ``KINKO_SECRET_KEY``. New writes use the new key; data made under a previous
key stays readable and verifiable (encrypted seeds and grids, session token hashes, challenge
and lookup digests, audit chain links, CSRF tokens) until ``kinko keys reencrypt`` has moved it
to the new key and the previous key is dropped.

``kinko serve`` refuses to start (exit code 2) unless every configured key is strong:
:func:`key_problem` says why one is not.
"""

from __future__ import annotations

import base64
import binascii
import enum
import itertools
import math
import os
import secrets
import stat
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kinko.config import Settings, get_settings

KEY_FILE_NAME = "secret.key"
MIN_KEY_BYTES = 32
MIN_ENTROPY_BITS = 128.0

# Values published in Kinko's source or documentation at some time, and placeholders people
# type: a server keyed with one of these is keyed with a public value.
KNOWN_DEFAULTS = frozenset({
    "dev-only-secret-change-me-in-production-0000",
    "a-brand-new-secret-key-for-rotation-000000",
    "change-me", "changeme", "secret", "secret-key", "please-change-me",
})


class Purpose(enum.StrEnum):
    """What a derived key is for; each purpose has its own key (HKDF ``info``)."""

    AUDIT_CHAIN = "audit-chain"
    CSRF = "csrf"
    OPERATOR_SESSION = "operator-session"
    FACE_IMAGES = "face-images"  # AES-GCM of face images at rest (kinko.verification.vault)


class SecretKeyMissing(RuntimeError):
    """No secret key is configured where one is needed."""


@dataclass(frozen=True)
class Keyring:
    current: bytes
    previous: tuple[bytes, ...] = ()
    source: str = "KINKO_SECRET_KEY"

    @property
    def all(self) -> tuple[bytes, ...]:
        """The current key first, then the previous ones (the order readers try them in)."""
        return (self.current, *self.previous)


def key_file_path(settings: Settings) -> Path:
    return settings.secret_key_file or settings.data_dir / KEY_FILE_NAME


def _previous(settings: Settings) -> tuple[str, ...]:
    raw = settings.secret_key_previous.get_secret_value()
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _load(settings: Settings) -> Keyring:
    previous = tuple(p.encode() for p in _previous(settings))
    if value := settings.secret_key.get_secret_value():
        return Keyring(value.encode(), previous)
    path = key_file_path(settings)
    if path.is_file():
        value = path.read_text(encoding="utf-8").strip()
        if value:
            return Keyring(value.encode(), previous, source=str(path))
    raise SecretKeyMissing(
        "no secret key: set KINKO_SECRET_KEY (generate one with `kinko keys generate`) "
        f"or KINKO_SECRET_KEY_FILE, or put one in {path} (mode 0600)")


_cache: tuple[Settings, Keyring] | None = None


def keyring() -> Keyring:
    """The configured keys; read once per settings object (the file is not read per call)."""
    global _cache  # noqa: PLW0603 - a cache tied to the cached settings object
    settings = get_settings()
    if _cache is None or _cache[0] is not settings:
        _cache = (settings, _load(settings))
    return _cache[1]


@lru_cache(maxsize=64)
def derive(secret: bytes, purpose: str) -> bytes:
    """The 256-bit key of one purpose under one secret key (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"kinko-auth",
                info=purpose.encode()).derive(secret)


def derived_keys(purpose: str) -> tuple[bytes, ...]:
    """The purpose's key under the current secret key, then under each previous one."""
    return tuple(derive(secret, purpose) for secret in keyring().all)


def generate() -> str:
    """A new secret key: 48 random bytes, base64url (64 characters, 384 bits)."""
    return secrets.token_urlsafe(48)


# --- strength -------------------------------------------------------------------------------

def _decoded(value: str) -> bytes:
    """The key's bytes as its author most likely meant them: hex or base64 when it is one."""
    text = value.strip()
    if len(text) % 2 == 0 and all(c in "0123456789abcdefABCDEF" for c in text):
        return bytes.fromhex(text)
    b64 = text.replace("+", "-").replace("/", "_").rstrip("=")
    try:
        raw = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    # Only a string that round-trips is base64 (anything else is a passphrase).
    if raw and base64.urlsafe_b64encode(raw).decode().rstrip("=") == b64:
        return raw
    return text.encode("utf-8")


def _entropy_bits(value: str) -> float:
    """Shannon estimate of the string's information (characters as symbols): low for
    repetitions and small alphabets, ~200+ bits for a generated key."""
    counts = Counter(value)
    n = len(value)
    per_char = -sum(c / n * math.log2(c / n) for c in counts.values())
    return per_char * n


def _looks_patterned(value: str) -> bool:
    """Repeated chunks or runs of consecutive characters ("abcd…", "1234…", "aaaa…")."""
    n = len(value)
    trigrams = [value[i:i + 3] for i in range(n - 2)]
    if trigrams and len(set(trigrams)) < 0.75 * len(trigrams):
        return True
    steps = sum(1 for a, b in itertools.pairwise(value) if abs(ord(a) - ord(b)) == 1)
    return n > 1 and steps > 0.5 * (n - 1)


def key_problem(value: str) -> str | None:
    """Why ``value`` is not fit to key a bank (``None`` when it is).

    It refuses the public defaults, short keys (fewer than 32 bytes once decoded from hex or
    base64) and what people type as placeholders (few distinct characters, repetitions,
    runs). It cannot prove a key random: generate keys with ``kinko keys generate``.
    """
    text = value.strip()
    if not text:
        return "it is empty"
    if text.lower() in KNOWN_DEFAULTS or "change-me" in text.lower() \
            or "changeme" in text.lower():
        return "it is a published default or placeholder"
    if len(_decoded(text)) < MIN_KEY_BYTES:
        return f"it is shorter than {MIN_KEY_BYTES} bytes"
    if _entropy_bits(text) < MIN_ENTROPY_BITS or _looks_patterned(text):
        return "it has too little entropy (repeated or sequential characters)"
    return None


def _file_problem(path: Path) -> str | None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return f"{path} is readable by other users (mode {stat.S_IMODE(mode):04o}; use 0600)"
    return None


def serving_problems(settings: Settings | None = None) -> list[str]:
    """Everything that forbids serving with the configured keys (empty = fit to serve)."""
    settings = settings or get_settings()
    try:
        ring = _load(settings)
    except SecretKeyMissing as exc:
        return [str(exc)]
    problems = []
    if (why := key_problem(ring.current.decode())) is not None:
        problems.append(f"the secret key from {ring.source} is not fit for use: {why}")
    if ring.source != "KINKO_SECRET_KEY" and (why := _file_problem(Path(ring.source))):
        problems.append(why)
    for i, old in enumerate(_previous(settings), start=1):
        if (why := key_problem(old)) is not None:
            problems.append(
                f"previous key #{i} in KINKO_SECRET_KEY_PREVIOUS is not fit for use: {why} "
                "(run `kinko keys reencrypt` with it, then remove it)")
    return problems


def ensure_key_file(path: Path) -> tuple[str, bool]:
    """The key kept in ``path``, generated first (mode 0600) when the file does not exist;
    returns the key and whether it was generated now."""
    if path.is_file():
        return path.read_text(encoding="utf-8").strip(), False
    path.parent.mkdir(parents=True, exist_ok=True)
    key = generate()
    # O_EXCL: two demos starting at once do not overwrite each other's key.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(key + "\n")
    return key, True
