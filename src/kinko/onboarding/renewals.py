"""Token renewal by post (CRED-1: "a new one is mailed before it expires"), run by the batch.

Every active hard token that expires within the policy's renewal lead time and has no
successor yet gets one: lent free (reason ``expiry``), bound to the same user, and mailed with
a notice. The user registers it with its first code, which ends the old token. Running twice
does nothing twice (a token with a successor is skipped).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from kinko.auth.models import TokenIssueReason
from kinko.auth.tokens import tokens_due_for_renewal
from kinko.onboarding import mail
from kinko.onboarding.models import ShipmentKind
from kinko.policy import current_policy

ACTOR = "system:batch"


def renewal_lead() -> timedelta:
    return timedelta(days=current_policy().auth.token_renewal_lead_days)


def mail_token_renewals(session: Session) -> int:
    """Lend and queue the renewal of every token due; returns how many."""
    done = 0
    for token in tokens_due_for_renewal(session, within=renewal_lead()):
        mail.lend_token_by_post(
            session, contract_id=token.contract_id, user_id=token.user_id,
            reason=TokenIssueReason.EXPIRY, replaces_serial=token.serial,
            kind=ShipmentKind.TOKEN_RENEWAL, actor=ACTOR,
            contents={"old_serial": token.serial,
                      "old_expires_on": token.expires_on.isoformat()
                      if token.expires_on else ""})
        done += 1
    return done
