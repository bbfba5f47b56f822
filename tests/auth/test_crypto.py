"""AUTH-10: slow salted hashes, rehash on parameter change, encryption at rest, tokens."""

from __future__ import annotations

import os
import statistics
import time

import pytest

from kinko.auth.crypto import (
    CHEAP_FOR_TESTS,
    OWASP,
    DecryptionFailed,
    SecretHasher,
    decrypt,
    encrypt,
    keyed_digest,
    needs_reencryption,
    new_token,
)
from kinko.config import reset_settings

NEW_KEY = "Zp4rT9vXq2Lm7NcWb8Kd3HsFj6GyUe1Ai5OoRt0QwEzPxCvBnM"  # a second strong key


@pytest.mark.req("AUTH-10")
def test_production_hasher_is_argon2id_with_owasp_parameters() -> None:
    h = SecretHasher(OWASP)
    digest = h.hash("Kinko8Pass")
    assert digest.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert h.verify(digest, "Kinko8Pass").ok
    assert not h.verify(digest, "kinko8pass").ok
    assert h.hash("Kinko8Pass") != digest   # salted


@pytest.mark.req("AUTH-10")
def test_a_hash_made_with_old_parameters_asks_for_a_rehash() -> None:
    old = SecretHasher(CHEAP_FOR_TESTS).hash("Kinko8Pass")
    result = SecretHasher(OWASP).verify(old, "Kinko8Pass")
    assert result.ok and result.needs_rehash
    assert not SecretHasher(CHEAP_FOR_TESTS).verify(old, "Kinko8Pass").needs_rehash


@pytest.mark.req("AUTH-10")
def test_unknown_user_costs_as_much_as_a_real_verification() -> None:
    """No user enumeration by timing: the dummy verify runs argon2 with the same cost."""
    h = SecretHasher(OWASP)
    stored = h.hash("Kinko8Pass")
    h.dummy_verify("warm-up")   # the dummy hash is made once, lazily
    # Interleaved, and the medians compared: a burst of other work on a shared machine then
    # falls on both paths alike instead of on whichever ran during it.
    real: list[float] = []
    dummy: list[float] = []
    for _ in range(7):
        start = time.perf_counter()
        h.verify(stored, "WrongPass1")
        real.append(time.perf_counter() - start)
        start = time.perf_counter()
        h.dummy_verify("WrongPass1")
        dummy.append(time.perf_counter() - start)
    assert 0.5 < statistics.median(dummy) / statistics.median(real) < 2.0


def test_malformed_hash_is_a_mismatch_not_a_crash() -> None:
    assert not SecretHasher(CHEAP_FOR_TESTS).verify("not-a-hash", "x").ok


@pytest.mark.req("AUTH-10")
def test_encryption_round_trip_binds_the_row_context() -> None:
    blob = encrypt("totp-seed", b"seed-bytes", context="otp:ET1")
    assert b"seed-bytes" not in blob
    assert decrypt("totp-seed", blob, context="otp:ET1") == b"seed-bytes"
    with pytest.raises(DecryptionFailed):
        decrypt("totp-seed", blob, context="otp:ET2")      # copied onto another row
    with pytest.raises(DecryptionFailed):
        decrypt("card-grid", blob, context="otp:ET1")      # another purpose's key
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(DecryptionFailed):
        decrypt("totp-seed", tampered, context="otp:ET1")


@pytest.mark.req("AUTH-10")
def test_secret_key_rotation_keeps_old_ciphertexts_readable(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    old_secret = os.environ["KINKO_SECRET_KEY"]
    blob = encrypt("totp-seed", b"seed", context="c")
    monkeypatch.setenv("KINKO_SECRET_KEY", NEW_KEY)
    reset_settings()
    assert needs_reencryption("totp-seed", blob)
    with pytest.raises(DecryptionFailed):
        decrypt("totp-seed", blob, context="c")
    assert decrypt("totp-seed", blob, context="c", previous_secrets=[old_secret.encode()]
                   ) == b"seed"
    monkeypatch.setenv("KINKO_SECRET_KEY_PREVIOUS", old_secret)
    reset_settings()
    assert decrypt("totp-seed", blob, context="c") == b"seed"
    assert not needs_reencryption("totp-seed", encrypt("totp-seed", b"seed", context="c"))


def test_tokens_carry_at_least_128_bits_and_are_stored_as_keyed_digests() -> None:
    token = new_token()
    assert len(token) >= 43    # 32 bytes, base64url
    with pytest.raises(ValueError, match="128"):
        new_token(8)
    assert keyed_digest("session", token) != keyed_digest("challenge", token)
    assert len(keyed_digest("session", token)) == 64
