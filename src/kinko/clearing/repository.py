"""Every clearing query, and only queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, select, tuple_, update
from sqlalchemy.orm import Session

from kinko.clearing.models import (
    DepositType,
    IncomingState,
    IncomingTransfer,
    OutgoingState,
    OutgoingTransfer,
    RemoteAccount,
    RemoteAccountState,
)
from kinko.db.base import insert_ignoring_conflicts, table_of

# --- the simulated network: other banks' accounts -------------------------------------------


def remote_account(session: Session, bank_code: str, branch_code: str,
                   account_type: DepositType, number: str, *, lock: bool = False
                   ) -> RemoteAccount | None:
    stmt = select(RemoteAccount).where(
        RemoteAccount.bank_code == bank_code, RemoteAccount.branch_code == branch_code,
        RemoteAccount.account_type == account_type, RemoteAccount.number == number)
    if lock:
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def remote_accounts(session: Session) -> list[RemoteAccount]:
    return list(session.execute(select(RemoteAccount).order_by(
        RemoteAccount.bank_code, RemoteAccount.branch_code, RemoteAccount.number)).scalars())


def credit_remote(session: Session, account_id: int, amount: int) -> bool:
    """Add to an open remote account's balance; False if it is closed (nothing changed)."""
    result = session.execute(
        update(RemoteAccount)
        .where(RemoteAccount.id == account_id, RemoteAccount.state == RemoteAccountState.OPEN)
        .values(balance=RemoteAccount.balance + amount)
        .returning(RemoteAccount.id))
    return result.first() is not None


def close_remote(session: Session, account_id: int, at: datetime) -> bool:
    result = session.execute(
        update(RemoteAccount)
        .where(RemoteAccount.id == account_id, RemoteAccount.state == RemoteAccountState.OPEN)
        .values(state=RemoteAccountState.CLOSED, closed_at=at)
        .returning(RemoteAccount.id))
    return result.first() is not None


# --- outgoing -------------------------------------------------------------------------------


def insert_outgoing(session: Session, values: dict[str, Any]) -> bool:
    """Insert unless the transfer reference exists; True if this call inserted it."""
    return insert_ignoring_conflicts(session, OutgoingTransfer, values) == 1


def insert_outgoing_many(session: Session, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert the rows whose transfer reference is new, in one statement; return those refs."""
    if not rows:
        return set()
    table = table_of(OutgoingTransfer)
    stmt: Any
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(table).on_conflict_do_nothing()
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(table).on_conflict_do_nothing()
    # Sent as multi-row INSERTs of a page of rows each (SQLAlchemy's insertmanyvalues).
    return set(session.execute(stmt.returning(table.c.transfer_ref), list(rows)).scalars())


def outgoing_many(session: Session, refs: Sequence[str]) -> list[OutgoingTransfer]:
    return list(session.execute(select(OutgoingTransfer).where(
        OutgoingTransfer.transfer_ref.in_(list(refs)))).scalars())


def move_outgoing_many(session: Session, refs: Sequence[str], from_state: OutgoingState,
                       **values: Any) -> list[str]:
    """:func:`move_outgoing` for many references in one UPDATE; the refs that moved."""
    if not refs:
        return []
    return list(session.execute(
        update(OutgoingTransfer)
        .where(OutgoingTransfer.transfer_ref.in_(list(refs)),
               OutgoingTransfer.state == from_state)
        .values(**values)
        .returning(OutgoingTransfer.transfer_ref)
        .execution_options(synchronize_session=False)).scalars())


def outgoing(session: Session, transfer_ref: str, *, lock: bool = False
             ) -> OutgoingTransfer | None:
    stmt = select(OutgoingTransfer).where(OutgoingTransfer.transfer_ref == transfer_ref)
    if lock:
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def move_outgoing(session: Session, transfer_ref: str, from_state: OutgoingState,
                  **values: Any) -> bool:
    """Change the state only from ``from_state``: a message handled twice moves it once."""
    result = session.execute(
        update(OutgoingTransfer)
        .where(OutgoingTransfer.transfer_ref == transfer_ref,
               OutgoingTransfer.state == from_state)
        .values(**values)
        .returning(OutgoingTransfer.id)
        .execution_options(synchronize_session=False))
    return result.first() is not None


# --- incoming -------------------------------------------------------------------------------


def insert_incoming(session: Session, values: dict[str, Any]) -> bool:
    """Insert unless the reference exists (first writer wins); True if this call inserted."""
    return insert_ignoring_conflicts(session, IncomingTransfer, values) == 1


def incoming(session: Session, reference: str) -> IncomingTransfer | None:
    return session.execute(
        select(IncomingTransfer).where(IncomingTransfer.reference == reference)
    ).scalar_one_or_none()


def set_incoming(session: Session, reference: str, **values: Any) -> None:
    session.execute(update(IncomingTransfer).where(IncomingTransfer.reference == reference)
                    .values(**values).execution_options(synchronize_session=False))


def credited_to(session: Session, account_id: int, *, date_from: date | None,
                date_to: date | None, limit: int, offset: int, before: int | None = None
                ) -> list[IncomingTransfer]:
    """Newest first; ``before`` (an incoming id of this account) starts after that line by
    keyset on ``(value_date, id)`` over ``ix_clearing_incoming_account_date_id``."""
    stmt = select(IncomingTransfer).where(IncomingTransfer.account_id == account_id,
                                          IncomingTransfer.state == IncomingState.CREDITED)
    if before is not None:
        cursor = session.execute(
            select(IncomingTransfer.value_date).where(IncomingTransfer.id == before,
                                                      IncomingTransfer.account_id == account_id)
        ).scalar_one_or_none()
        if cursor is None:
            return []
        day = bindparam("cursor_day", cursor, type_=IncomingTransfer.value_date.type)
        stmt = stmt.where(IncomingTransfer.value_date <= cursor,
                          tuple_(IncomingTransfer.value_date, IncomingTransfer.id)
                          < tuple_(day, before))
    if date_from is not None:
        stmt = stmt.where(IncomingTransfer.value_date >= date_from)
    if date_to is not None:
        stmt = stmt.where(IncomingTransfer.value_date <= date_to)
    stmt = stmt.order_by(IncomingTransfer.value_date.desc(), IncomingTransfer.id.desc())
    return list(session.execute(stmt.limit(limit).offset(offset)).scalars())
