"""PostgreSQL COPY … FROM STDIN on the session's own connection (so in its transaction): the
fastest way PostgreSQL takes many rows. The ledger's batches, a bulk request's lines and a
long audit batch all write through here."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from psycopg import Copy
from sqlalchemy.orm import Session

# COPY's text format: a backslash, tab, newline or carriage return inside a value is escaped.
ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"


def text(value: str | None) -> str:
    """``value`` as one field of COPY text (``\\N`` for None)."""
    return NULL if value is None else value.translate(ESCAPES)


@contextmanager
def _copy(session: Session, table: str, columns: Sequence[str]) -> Iterator[Copy]:
    dbapi = session.connection().connection.driver_connection
    assert dbapi is not None
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with dbapi.cursor() as cursor, cursor.copy(statement) as copy:
        yield copy


def copy_rows(session: Session, table: str, columns: Sequence[str],
              rows: Sequence[Sequence[Any]]) -> None:
    """Stream rows (values, adapted by the driver) into ``table``."""
    if not rows:
        return
    with _copy(session, table, columns) as copy:
        for row in rows:
            copy.write_row(row)


def copy_text(session: Session, table: str, columns: Sequence[str], body: str) -> None:
    """Rows already written as COPY text (tab-separated, escaped with :func:`text`, one line
    each): one write for the whole batch instead of one ``write_row`` per row."""
    if not body:
        return
    with _copy(session, table, columns) as copy:
        copy.write(body.encode())
