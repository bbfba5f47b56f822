"""Move data encrypted under a previous secret key to the current one (key rotation).

After ``KINKO_SECRET_KEY`` is replaced and the old value put into
``KINKO_SECRET_KEY_PREVIOUS``, everything stays readable; ``kinko keys reencrypt`` then
re-encrypts TOTP seeds, confirmation-card grids and the CA keys under the new key (each row
in place, with the same associated data), after which the previous key can be dropped.
Session tokens, challenge answers and lookup digests are not re-made here: a session's hash
moves to the new key on its next request, and the others live for minutes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cryptography import x509
from sqlalchemy import select
from sqlalchemy.orm import Session

from kinko.auth.cards import _PURPOSE as CARD_PURPOSE
from kinko.auth.certificates import _KEY_PURPOSE as CA_PURPOSE
from kinko.auth.certificates import _fingerprint
from kinko.auth.crypto import decrypt, encrypt, needs_reencryption
from kinko.auth.effects import audit
from kinko.auth.models import CertificateAuthority, ConfirmationCard, OtpToken
from kinko.auth.otp import SEED_PURPOSE


def _ca_context(ca: CertificateAuthority) -> str:
    return f"ca:{_fingerprint(x509.load_pem_x509_certificate(ca.certificate_pem.encode()))}"


# (what, model, purpose, ciphertext attribute, the row's associated data)
_ENCRYPTED: tuple[tuple[str, Any, str, str, Callable[[Any], str]], ...] = (
    ("otp_seeds", OtpToken, SEED_PURPOSE, "seed_ciphertext", lambda t: f"otp:{t.serial}"),
    ("card_grids", ConfirmationCard, CARD_PURPOSE, "grid_ciphertext",
     lambda c: f"card:{c.serial}"),
    ("ca_keys", CertificateAuthority, CA_PURPOSE, "key_ciphertext", _ca_context),
)


def pending(session: Session) -> dict[str, int]:
    """How many ciphertexts of each kind were made under a previous key."""
    return {what: sum(1 for row in session.execute(select(model)).scalars()
                      if needs_reencryption(purpose, getattr(row, attr)))
            for what, model, purpose, attr, _ in _ENCRYPTED}


def reencrypt_all(session: Session, *, actor: str) -> dict[str, int]:
    """Re-encrypt every ciphertext made under a previous key; returns counts per kind.
    A ciphertext no configured key opens stops the run (nothing is half done: the caller's
    transaction rolls back)."""
    done: dict[str, int] = {}
    for what, model, purpose, attr, context_of in _ENCRYPTED:
        done[what] = 0
        for row in session.execute(select(model)).scalars():
            blob = getattr(row, attr)
            if not needs_reencryption(purpose, blob):
                continue
            context = context_of(row)
            setattr(row, attr, encrypt(purpose, decrypt(purpose, blob, context=context),
                                       context=context))
            done[what] += 1
    session.flush()
    audit(session, actor=actor, action="keys.reencrypted", subject_type="secret_key",
          subject_id="current", **done)
    return done
