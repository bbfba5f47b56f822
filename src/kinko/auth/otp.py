"""One-time passwords: TOTP (RFC 6238) verification that accepts each code once (AUTH-5).

The seed is decrypted for the check only. A code is compared with the codes of the steps
now−window … now+window (newest first), in constant time; on a match the step is recorded by
a conditional UPDATE that succeeds only if no equal or later step was accepted before. Two
requests carrying the same code therefore cannot both pass — even inside one 30-second step,
even on two servers — and a code older than one already accepted is refused as well.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

import pyotp
from sqlalchemy.orm import Session

from kinko import clock
from kinko.auth import repository as repo
from kinko.auth.crypto import constant_time_equals, decrypt, encrypt
from kinko.auth.models import AuthUser, OtpToken
from kinko.auth.rules import candidate_steps, normalise_digits

SEED_PURPOSE = "totp-seed"
SEED_BYTES = 20   # 160 bits, the HMAC-SHA1 key size RFC 4226 recommends


def new_seed() -> bytes:
    return secrets.token_bytes(SEED_BYTES)


def seal_seed(seed: bytes, serial: str) -> bytes:
    """Encrypt a seed for the row of token ``serial`` (AUTH-10: TOTP seeds encrypted)."""
    return encrypt(SEED_PURPOSE, seed, context=f"otp:{serial}")


def _totp(token: OtpToken) -> pyotp.TOTP:
    seed = decrypt(SEED_PURPOSE, token.seed_ciphertext, context=f"otp:{token.serial}")
    return pyotp.TOTP(base64.b32encode(seed).decode(), digits=token.digits,
                      interval=token.period)


def matching_step(token: OtpToken, code: str, at: datetime, window: int) -> int | None:
    """The time step whose code equals ``code`` (newest first), or None. Pure of the DB."""
    typed = normalise_digits(code)
    if len(typed) != token.digits or not typed.isdigit():
        return None
    totp = _totp(token)
    found = None
    # Compare every candidate (no early exit) so timing does not tell which step matched.
    for step in candidate_steps(at, token.period, window):
        if constant_time_equals(totp.generate_otp(step), typed) and found is None:
            found = step
    return found


def check_token(session: Session, token: OtpToken, code: str, *, window: int,
                at: datetime | None = None) -> bool:
    """Accept ``code`` for ``token`` once; False for a wrong, replayed or stale code."""
    moment = clock.now() if at is None else at
    if token.expires_on is not None and moment.date() > token.expires_on:
        return False
    step = matching_step(token, code, moment, window)
    if step is None:
        return False
    return repo.accept_otp_step(session, token.id, step)


def unspent_step(token: OtpToken, code: str, *, window: int,
                 at: datetime | None = None) -> int | None:
    """:func:`check_token` without spending: the matching time step if the token has not
    accepted it (or a later one) yet, else None. The caller must then spend the step with a
    conditional UPDATE (``repo.accept_otp_step`` or the step-up's rotation), which alone
    decides under concurrency."""
    moment = clock.now() if at is None else at
    if token.expires_on is not None and moment.date() > token.expires_on:
        return None
    step = matching_step(token, code, moment, window)
    if step is None or (token.last_step is not None and token.last_step >= step):
        return None
    return step


def verify(session: Session, user: AuthUser | None, code: str, *, window: int) -> bool:
    """Check the OTP of the user's active token (hard or soft)."""
    # An unknown user runs the same query (id 0 matches no row), so it costs the same.
    token = repo.active_token(session, 0 if user is None else user.id)
    if token is None:
        # Nothing to check, yet compute what a check would (a throwaway token with a sealed
        # seed of its own): otherwise an unknown ID, or one without a token, answers sooner
        # by the decryption and the HMACs of every step of the window (AUTH-10).
        matching_step(_stand_in(), code, clock.now(), window)
        return False
    return check_token(session, token, code, window=window)


def _stand_in() -> OtpToken:
    serial = "stand-in"
    return OtpToken(serial=serial, seed_ciphertext=seal_seed(new_seed(), serial), digits=6,
                    period=30)


def code_at(token: OtpToken, moment: datetime) -> str:
    """The code a token shows at ``moment`` (the demo's token simulator and tests use it)."""
    return _totp(token).at(moment)


def provisioning_uri(seed: bytes, *, account_name: str, issuer: str = "Kinko",
                     digits: int = 6, period: int = 30) -> str:
    """The otpauth:// URI a soft-token app scans as a QR code, shown once."""
    return pyotp.TOTP(base64.b32encode(seed).decode(), digits=digits,
                      interval=period).provisioning_uri(name=account_name, issuer_name=issuer)
