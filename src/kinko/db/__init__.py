"""Database layer: engine, the unit of work owned by the boundary, retries, migrations."""

from kinko.db.base import Base
from kinko.db.engine import Database

__all__ = ["Base", "Database"]
