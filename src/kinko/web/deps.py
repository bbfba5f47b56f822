"""Request dependencies: the database of the app, and a unit of work per request."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from sqlalchemy.orm import Session

from kinko.db.engine import Database


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def session(request: Request) -> Iterator[Session]:
    """The request's transaction: committed if the handler returns, rolled back if it raises."""
    with database(request).transaction() as s:
        yield s
