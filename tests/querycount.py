"""Count the SQL statements an engine sends, to pin the cost of a request.

Transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT and its release/rollback) is not
counted: it is the frame of the work, not the work. The counter listens to SQLAlchemy's
``before_cursor_execute`` event, so it sees every statement the app sends on that engine,
ORM and Core alike, including ``executemany`` (counted once: one round trip).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

_FRAME = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def is_frame(statement: str) -> bool:
    head = statement.lstrip().upper()
    return head.startswith(_FRAME)


@dataclass
class Statements:
    """The statements seen while counting, in order."""

    seen: list[str] = field(default_factory=list)
    frames: list[str] = field(default_factory=list)   # BEGIN, SAVEPOINT … (not counted)

    @property
    def count(self) -> int:
        return len(self.seen)

    def __str__(self) -> str:
        return "\n".join(f"{i + 1:3}. {' '.join(s.split())[:160]}"
                         for i, s in enumerate(self.seen))


@contextmanager
def counting(engine: Engine) -> Iterator[Statements]:
    """Collect the statements ``engine`` sends inside the ``with`` block."""
    found = Statements()

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
               executemany: bool) -> None:
        (found.frames if is_frame(statement) else found.seen).append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", before)
