"""Restrictions on a customer's use of the account (SUSP-1, KYC-4), checked with residency.

A domain above parties that can restrict a customer (periodic verification by face, KYC-4)
registers a check here; :func:`kinko.parties.residency.check_allowed`, which every fund
movement calls, runs the registered checks, so the services stay unaware of who restricts.

A check may come with a *flag*: the same question as an SQL expression on a customer id, so
that a query the request runs anyway (the authentication's, which loads the customer) can
answer it in the same statement (:func:`restricted_column`) and :func:`remember` the answer.
A customer known to be unrestricted in this transaction is then passed without a statement;
a restricted one (or one not known) goes through the checks, which name the refusal. What
was remembered is forgotten at the transaction's end and at any flush, since a flush may be
the very change that restricts (or frees) the customer.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import ColumnElement, event, or_
from sqlalchemy.orm import QueryableAttribute, Session, SessionTransaction, UOWTransaction

from kinko.errors import DomainError

Check = Callable[[Session, int, str], DomainError | None]
"""(session, customer_id, function) -> the error refusing it, or None."""

CustomerId = ColumnElement[int] | QueryableAttribute[int]
Flag = Callable[[CustomerId], ColumnElement[bool]]
"""(a customer id column) -> true where the check would refuse that customer (any function)."""

_checks: dict[str, Check] = {}
_flags: dict[str, Flag] = {}
_KNOWN = "kinko.parties.restrictions.known"


def register_restriction(name: str, check: Check, *, flag: Flag | None = None) -> None:
    """``flag`` must be true for every customer ``check`` may refuse (for any function)."""
    _checks[name] = check
    if flag is None:
        _flags.pop(name, None)
    else:
        _flags[name] = flag


def restricted_column(customer_id: CustomerId) -> ColumnElement[bool] | None:
    """Whether a registered restriction may refuse the customer, to select with a query that
    runs anyway; None when no check is registered, or one has no flag (nothing to skip)."""
    if not _checks or set(_flags) != set(_checks):
        return None
    return or_(*(flag(customer_id) for flag in _flags.values()))


def remember(session: Session, customer_id: int, restricted: bool) -> None:
    """Keep, for this transaction, what :func:`restricted_column` said of the customer."""
    known: dict[int, tuple[frozenset[str], bool]] = session.info.setdefault(_KNOWN, {})
    known[customer_id] = (frozenset(_checks), bool(restricted))


def _known_free(session: Session, customer_id: int) -> bool:
    known: dict[int, tuple[frozenset[str], bool]] | None = session.info.get(_KNOWN)
    if not known or customer_id not in known:
        return False
    names, restricted = known[customer_id]
    return not restricted and names == frozenset(_checks)


def check_restrictions(session: Session, customer_id: int, function: str) -> None:
    if _known_free(session, customer_id):
        return
    for check in _checks.values():
        if (error := check(session, customer_id, function)) is not None:
            raise error


@event.listens_for(Session, "after_flush")
def _forget_at_flush(session: Session, flush_context: UOWTransaction) -> None:
    session.info.pop(_KNOWN, None)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    # A savepoint's rollback may undo a flushed change too: forget at any transaction's end.
    session.info.pop(_KNOWN, None)
