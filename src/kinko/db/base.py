"""Declarative base with a naming convention, so migrations name every constraint stably."""

from __future__ import annotations

import enum
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import BigInteger, DateTime, Enum, Integer, MetaData, Table, literal_column
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.types import TypeDecorator

from kinko import clock

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT on PostgreSQL, INTEGER on SQLite: SQLite only auto-increments "INTEGER PRIMARY KEY".
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC and returned in Japan time.

    SQLite has no time zones; storing UTC everywhere keeps comparisons and ordering right on
    both databases, and returning JST keeps business code in Japan time (CAL-1).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use kinko.clock")
        from datetime import UTC

        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if getattr(dialect, "name", "") == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        from datetime import UTC

        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(clock.JST)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def table_of(model: type[Base]) -> Table:
    """A mapped class's Table, typed as such (``__table__`` is typed as a FromClause)."""
    return cast(Table, model.__table__)


def insert_ignoring_conflicts(session: Session, model: type[Base], values: dict[str, Any]
                              ) -> int:
    """INSERT … ON CONFLICT DO NOTHING on either database; return the rows inserted (0 or 1).

    On PostgreSQL a concurrent insert of the same key makes this wait for that transaction,
    then see the conflict: the way to have "first writer wins" without a read-then-write race.
    """
    statement = _ignoring_conflicts(session.get_bind().dialect.name, table_of(model))
    # rowcount is not reliable for ON CONFLICT on every driver; RETURNING is.
    return len(session.execute(statement, values).all())


@cache
def _ignoring_conflicts(dialect: str, table: Table) -> Any:
    """The statement of :func:`insert_ignoring_conflicts`, built once per table: the values
    travel as the execution's parameters (SQLAlchemy compiles it once per set of columns)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing().returning(literal_column("1"))
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing().returning(literal_column("1"))


def value_enum(cls: type[enum.Enum], length: int) -> Enum:
    """A Python enum stored as its string value in a VARCHAR (no native ENUM type), so adding
    a member needs no ALTER TYPE and the column reads the same on SQLite and PostgreSQL."""
    return Enum(cls, native_enum=False, length=length, validate_strings=True,
                values_callable=lambda e: [m.value for m in e])
