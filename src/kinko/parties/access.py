"""Use from abroad (OVS-1; 001 11(4), 002 第14条).

The web layer tells :func:`record_access_country` where a request comes from (its
geolocation of the client address). Use from abroad is recorded in the audit log; a function
the bank refuses from abroad is refused; anything else goes ahead and is treated as made in
Japan — the returned decision says so, and nothing downstream looks at the country again.

A refusal is returned, not raised, so the boundary can commit the audit event of the refused
attempt first: call it in its own transaction, then ``decision.raise_if_refused()``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from kinko.audit.service import record
from kinko.parties import rules
from kinko.parties.errors import UseFromAbroadRefused
from kinko.policy import current_policy


def refused_from_abroad() -> frozenset[str]:
    """The bank's setting in force (policy ``access.refused_from_abroad``; default: every fund
    movement, while inquiries and settings stay allowed)."""
    return frozenset(current_policy().access.refused_from_abroad)


@dataclass(frozen=True)
class AccessDecision:
    country: str           # where the request came from
    function: str
    allowed: bool
    deemed_country: str    # where the use is treated as made: always Japan when allowed

    def raise_if_refused(self) -> None:
        if not self.allowed:
            raise UseFromAbroadRefused(detail=f"{self.function} from {self.country}")


def record_access_country(session: Session, user_id: int, country_code: str,
                          function: str) -> AccessDecision:
    """Decide and record one use of ``function`` by ``user_id`` from ``country_code``.

    Use from Japan is not recorded here (every instruction is audited anyway); use from
    abroad is, allowed or refused, with the function asked for.
    """
    country = rules.check_country(country_code)
    allowed = rules.allowed_from(country=country, function=function,
                                 refused_abroad=refused_from_abroad())
    if country != rules.HOME_COUNTRY:
        record(session, actor=f"user:{user_id}",
               action="access.abroad" if allowed else "access.abroad.refused",
               subject_type="auth_user", subject_id=user_id,
               data={"country": country, "function": function,
                     "deemed": rules.HOME_COUNTRY if allowed else None})
    return AccessDecision(country, function, allowed,
                          rules.HOME_COUNTRY if allowed else country)
