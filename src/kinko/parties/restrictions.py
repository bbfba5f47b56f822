"""Restrictions on a customer's use of the account (SUSP-1, KYC-4), checked with residency.

A domain above parties that can restrict a customer (periodic verification by face, KYC-4)
registers a check here; :func:`kinko.parties.residency.check_allowed`, which every fund
movement calls, runs the registered checks, so the services stay unaware of who restricts.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from kinko.errors import DomainError

Check = Callable[[Session, int, str], DomainError | None]
"""(session, customer_id, function) -> the error refusing it, or None."""

_checks: dict[str, Check] = {}


def register_restriction(name: str, check: Check) -> None:
    _checks[name] = check


def check_restrictions(session: Session, customer_id: int, function: str) -> None:
    for check in _checks.values():
        if (error := check(session, customer_id, function)) is not None:
            raise error
