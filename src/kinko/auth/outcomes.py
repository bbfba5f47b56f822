"""Typed results of authentication use cases.

A failed authentication is *returned*, not raised: the failure counter, the lockout and the
audit event it wrote must commit, and the boundary rolls back on an exception. The web layer
commits, then turns a :class:`Rejected` into its ``error`` (rendered as problem+json or beside
the field). Everything else (bad input, wrong state) is raised as usual.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from kinko.auth.errors import (
    AuthError,
    Blocked,
    InvalidCredentials,
    LockedOut,
    LockedUntilReleased,
    Suspended,
)
from kinko.auth.policy import Factor


@dataclass(frozen=True)
class Rejected:
    """The attempt failed; ``error`` says what the customer may be told."""

    error: AuthError = field(default_factory=InvalidCredentials)
    ok: bool = field(default=False, init=False)


@dataclass(frozen=True)
class Failed(Rejected):
    """Wrong credentials (or an unknown user: the same answer, AUTH-10)."""

    # True when this very attempt caused the lockout or block.
    locked_now: bool = False


@dataclass(frozen=True)
class Locked(Rejected):
    until: datetime | None = None   # None: until the bank releases it


@dataclass(frozen=True)
class BlockedOut(Rejected):
    error: AuthError = field(default_factory=Blocked)


@dataclass(frozen=True)
class SuspendedOut(Rejected):
    error: AuthError = field(default_factory=Suspended)


def locked(until: datetime | None) -> Locked:
    return Locked(error=LockedOut() if until is not None else LockedUntilReleased(), until=until)


@dataclass(frozen=True)
class LoggedIn:
    """A full session. Show ``previous_login_at``/``previous_login_place`` (AUTH-13)."""

    session_token: str
    session_id: int
    user_id: int
    previous_login_at: datetime | None
    previous_login_place: str | None
    ok: bool = field(default=True, init=False)


@dataclass(frozen=True)
class NeedsSecondFactor:
    """The first step passed; ``session_token`` only allows completing ``factors``."""

    session_token: str
    session_id: int
    user_id: int
    factors: tuple[Factor, ...]
    ok: bool = field(default=True, init=False)


@dataclass(frozen=True)
class MustChangeCredentials:
    """Credentials are temporary or expired: ``session_token`` only allows changing them.

    ``change`` names what must change: ``login_password``, ``login_id``,
    ``confirmation_password``; ``expired`` is True for an expired password (AUTH-8).
    """

    session_token: str
    session_id: int
    user_id: int
    change: frozenset[str]
    expired: bool = False
    ok: bool = field(default=True, init=False)


LoginResult = Rejected | LoggedIn | NeedsSecondFactor | MustChangeCredentials


@dataclass(frozen=True)
class SteppedUp:
    """Step-up passed for one operation; the session token was rotated (use the new one)."""

    session_token: str
    operation_digest: str
    at: datetime
    ok: bool = field(default=True, init=False)


StepUpResult = Rejected | SteppedUp


@dataclass(frozen=True)
class Done:
    """A use case that counts failures succeeded."""

    ok: bool = field(default=True, init=False)


Outcome = Rejected | Done
