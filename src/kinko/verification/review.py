"""The four-eyes action an operator asks for to override a face-match result (KYC-5, OPS-1):
a KYC reviewer asks, another KYC reviewer approves, and :func:`service.override` runs as the
approver. Registered with the back office when this module is imported."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from kinko.backoffice.actions import ActionSpec, register_action
from kinko.backoffice.models import OperatorRole
from kinko.errors import ValidationFailed
from kinko.verification import service

ACTION = "verification.override"
_REVIEWERS = frozenset({OperatorRole.KYC_REVIEWER})


def _validate(payload: Mapping[str, Any]) -> None:
    if not isinstance(payload.get("case_id"), int) or payload.get("decision") \
            not in service.DECISIONS:
        raise ValidationFailed(detail="payload needs case_id and decision "
                                      f"({' or '.join(service.DECISIONS)})")


def _override(session: Session, payload: Mapping[str, Any], *, actor: str,
              request_id: int) -> dict[str, str]:
    # A dict, not a bare string: the console shows a string output as a one-time secret.
    state = service.override(session, case_id=int(payload["case_id"]),
                             decision=str(payload["decision"]), actor=actor,
                             request_id=request_id, note=str(payload.get("note", "")))
    return {"case_id": str(payload["case_id"]), "state": state.value}


SPEC = ActionSpec(_override, _REVIEWERS, _REVIEWERS, _validate, summary=lambda out: out)
register_action(ACTION, SPEC)
