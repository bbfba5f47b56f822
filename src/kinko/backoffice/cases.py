"""What an operator does directly, without a second operator: each checks the operator's role
here, in the service layer, whatever page or command calls it (OPS-1)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kinko.auth import compromise
from kinko.backoffice.models import OperatorRole
from kinko.backoffice.operators import actor_of, require_role

# Taking a customer's report stops the service at once (CRED-6): branch and security staff.
REPORT_ROLES = frozenset({OperatorRole.TELLER, OperatorRole.SECURITY, OperatorRole.SUPERVISOR})


def take_compromise_report(session: Session, *, operator_id: int, user_id: int,
                           credential: compromise.Credential, note: str) -> int:
    require_role(session, operator_id, REPORT_ROLES)
    return compromise.report(session, user_id=user_id, credential=credential, channel="phone",
                             note=note[:500], actor=actor_of(operator_id))
