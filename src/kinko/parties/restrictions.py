"""The adapter through which fund movements ask about restrictions (SUSP-1, KYC-4).

Every restriction of a customer — the bank's, periodic verification's — is the one service
:mod:`kinko.onboarding.restrictions`, a domain above parties. It plugs itself in here with
:func:`serve`; :func:`kinko.parties.residency.check_allowed`, which every fund movement calls,
runs :func:`check_restrictions`, so the services stay unaware of who restricts.

The service comes with a *flag*: the same question as an SQL expression on a customer id, so
that a query the request runs anyway (the authentication's, which loads the customer) can
answer it in the same statement (:func:`restricted_column`) and :func:`remember` the answer.
A customer known to be unrestricted in this transaction is then passed without a statement;
a restricted one (or one not known) goes through the check, which names the refusal. What
was remembered is forgotten at the transaction's end and at any flush, since a flush may be
the very change that restricts (or frees) the customer.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import ColumnElement, event
from sqlalchemy.orm import QueryableAttribute, Session, SessionTransaction, UOWTransaction

from kinko.errors import DomainError

Check = Callable[[Session, int, str], DomainError | None]
"""(session, customer_id, function) -> the error refusing it, or None."""

CustomerId = ColumnElement[int] | QueryableAttribute[int]
Flag = Callable[[CustomerId | int], ColumnElement[bool]]
"""(a customer id column) -> true where the check would refuse that customer (any function)."""

_service: list[tuple[Check, Flag]] = []   # the one restriction service, once it is loaded
# Counts the changes of what the flag says (a service plugged in, a hold registered), so that
# a statement built once with :func:`restricted_column` knows when to be built again.
_flag_generation = [0]
_KNOWN = "kinko.parties.restrictions.known"


def serve(check: Check, *, flag: Flag) -> None:
    """Plug the restriction service in; ``flag`` must be true for every customer ``check``
    may refuse (for any function)."""
    _service[:] = [(check, flag)]
    flag_changed()


def flag_changed() -> None:
    """The flag's expression changed (a hold was registered): rebuild what was built with it."""
    _flag_generation[0] += 1


def flag_generation() -> int:
    """Changes with every change of :func:`restricted_column`'s expression."""
    return _flag_generation[0]


def restricted_column(customer_id: CustomerId) -> ColumnElement[bool] | None:
    """Whether the restriction service may refuse the customer, to select with a query that
    runs anyway; None when no service is plugged in (nothing to skip)."""
    return _service[0][1](customer_id) if _service else None


def remember(session: Session, customer_id: int, restricted: bool) -> None:
    """Keep, for this transaction, what :func:`restricted_column` said of the customer."""
    known: dict[int, bool] = session.info.setdefault(_KNOWN, {})
    known[customer_id] = bool(restricted)


def check_restrictions(session: Session, customer_id: int, function: str) -> None:
    known: dict[int, bool] | None = session.info.get(_KNOWN)
    if not _service or (known is not None and known.get(customer_id) is False):
        return
    if (error := _service[0][0](session, customer_id, function)) is not None:
        raise error


@event.listens_for(Session, "after_flush")
def _forget_at_flush(session: Session, flush_context: UOWTransaction) -> None:
    session.info.pop(_KNOWN, None)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    # A savepoint's rollback may undo a flushed change too: forget at any transaction's end.
    session.info.pop(_KNOWN, None)
