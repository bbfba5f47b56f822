"""The sensitive actions that need four eyes, who may ask for them and who may approve.

Each action names the service it runs; the handler receives the stored payload and runs as
the approving operator. Adding an action here is the only way to make it approvable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from kinko.backoffice.models import OperatorRole
from kinko.errors import ValidationFailed

Handler = Callable[..., Any]


def _needs(*keys: str) -> Callable[[Mapping[str, Any]], None]:
    def check(payload: Mapping[str, Any]) -> None:
        missing = [k for k in keys if k not in payload]
        if missing:
            raise ValidationFailed(detail="payload needs: " + ", ".join(missing))
    return check


@dataclass(frozen=True)
class ActionSpec:
    handler: Handler
    request_roles: frozenset[OperatorRole]
    approve_roles: frozenset[OperatorRole]
    validate: Callable[[Mapping[str, Any]], None] = field(default=lambda payload: None)
    # What is kept of the handler's output in the request row (never a secret).
    summary: Callable[[Any], Any] = field(default=lambda output: None)


def _release_lock(session: Session, payload: Mapping[str, Any], *, actor: str,
                  request_id: int) -> None:
    from kinko.auth import lockout

    lockout.release(session, int(payload["user_id"]), actor=actor,
                    note=f"approval request {request_id}")


def _resume_service(session: Session, payload: Mapping[str, Any], *, actor: str,
                    request_id: int) -> list[int]:
    from kinko.auth import compromise

    return compromise.resume(session, report_id=int(payload["report_id"]), actor=actor,
                             request_id=request_id)


def _reset_password(session: Session, payload: Mapping[str, Any], *, actor: str,
                    request_id: int) -> str:
    from kinko.auth import passwords

    return passwords.issue_temporary_password(session, user_id=int(payload["user_id"]),
                                              actor=actor)


_STAFF = frozenset({OperatorRole.TELLER, OperatorRole.SECURITY})
_SECURITY = frozenset({OperatorRole.SECURITY})

ACTIONS: dict[str, ActionSpec] = {
    # AUTH-6: release a lockout that lasts until released, or a block (利用閉塞).
    "auth.release_lock": ActionSpec(_release_lock, _STAFF, _SECURITY, _needs("user_id")),
    # CRED-6 / SUSP-1: resume service after a compromise report.
    "auth.resume_service": ActionSpec(_resume_service, _STAFF, _SECURITY,
                                      _needs("report_id"),
                                      summary=lambda users: {"users": users}),
    # AUTH-10: reset a forgotten password to a temporary one, mailed on paper.
    "auth.reset_password": ActionSpec(_reset_password, _STAFF, _SECURITY, _needs("user_id"),
                                      summary=lambda _password: "temporary password issued"),
}
