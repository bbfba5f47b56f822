"""Residency (PRD-5, 003 第三条2): record a change with its date; refuse what non-residents
may not use.

Services call :func:`check_allowed` before anything is written, so a refused non-resident
books nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.service import record
from kinko.parties import rules
from kinko.parties.errors import (
    CustomerNotFound,
    InvalidResidencyChange,
    NotAllowedForNonResident,
)
from kinko.parties.models import Customer
from kinko.parties.residency_models import ResidencyChange
from kinko.parties.restrictions import check_restrictions
from kinko.policy import current_policy


@dataclass(frozen=True)
class Residency:
    customer_id: int
    resident: bool
    changed_on: date | None


def get_customer(session: Session, customer_id: int, *, lock: bool = False) -> Customer:
    """The customer, or :class:`CustomerNotFound`; ``lock``: FOR UPDATE."""
    if lock:
        customer = session.execute(
            select(Customer).where(Customer.id == customer_id).with_for_update()
        ).scalar_one_or_none()
    else:
        # The identity map first: the request's authentication has loaded the caller's own.
        customer = session.get(Customer, customer_id)
    if customer is None:
        raise CustomerNotFound(detail=str(customer_id))
    return customer


def residency_of(session: Session, customer_id: int) -> Residency:
    customer = get_customer(session, customer_id)
    return Residency(customer.id, customer.resident, customer.residency_changed_on)


def change_residency(session: Session, customer_id: int, resident: bool, effective: date, *,
                     actor: str) -> Residency:
    """Record that the customer became (non-)resident on ``effective`` (an operator action on
    the customer's written declaration, 003 第三条2(2)); audited with the old and new status.

    Refused: no change of status, a date in the future (the declaration follows the fact),
    or a date before the last recorded change (the history must stay in date order).
    """
    if type(resident) is not bool:
        raise InvalidResidencyChange(detail="resident must be true or false")
    # Lock the customer row so two operators recording changes cannot interleave.
    customer = get_customer(session, customer_id, lock=True)
    if customer.resident is resident:
        raise InvalidResidencyChange(
            detail=f"already {'resident' if resident else 'non-resident'}")
    if effective > clock.today():
        raise InvalidResidencyChange(detail=f"effective date {effective} is in the future")
    if customer.residency_changed_on is not None and effective < customer.residency_changed_on:
        raise InvalidResidencyChange(
            detail=f"effective date {effective} is before the last change "
                   f"({customer.residency_changed_on})")
    was = customer.resident
    customer.resident = resident
    customer.residency_changed_on = effective
    session.add(ResidencyChange(customer_id=customer.id, resident=resident,
                                effective_on=effective, recorded_at=clock.now(),
                                recorded_by=actor))
    session.flush()
    record(session, actor=actor, action="customer.residency", subject_type="customer",
           subject_id=customer.id, data={"from": "resident" if was else "non_resident",
                                         "to": "resident" if resident else "non_resident",
                                         "effective": effective.isoformat()})
    return Residency(customer.id, resident, effective)


def resident_on(session: Session, customer_id: int, day: date) -> bool:
    """The status in force on ``day``: the last change effective on or before it; before any
    recorded change, the opposite of the first change (or today's status if none)."""
    changes = list(session.execute(
        select(ResidencyChange.resident, ResidencyChange.effective_on)
        .where(ResidencyChange.customer_id == customer_id)
        .order_by(ResidencyChange.effective_on, ResidencyChange.id)
    ))
    if not changes:
        return get_customer(session, customer_id).resident
    status = not changes[0].resident
    for change in changes:
        if change.effective_on <= day:
            status = change.resident
    return status


def history(session: Session, customer_id: int) -> list[ResidencyChange]:
    return list(session.execute(
        select(ResidencyChange).where(ResidencyChange.customer_id == customer_id)
        .order_by(ResidencyChange.effective_on, ResidencyChange.id)
    ).scalars())


def is_allowed(session: Session, customer_id: int, function: str) -> bool:
    allowed = current_policy().access.non_resident_allowed
    return rules.allowed_for(resident=get_customer(session, customer_id).resident,
                             function=function,
                             table={name: name in allowed for name in rules.FUNCTIONS})


def check_allowed(session: Session, customer_id: int, function: str) -> None:
    """Raise :class:`NotAllowedForNonResident` if a non-resident asks for a refused function,
    or the error of a registered restriction (:mod:`kinko.parties.restrictions`)."""
    if not is_allowed(session, customer_id, function):
        raise NotAllowedForNonResident(detail=function)
    check_restrictions(session, customer_id, function)  # SUSP-1, KYC-4
