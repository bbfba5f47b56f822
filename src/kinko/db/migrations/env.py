"""Alembic environment: the schema of every domain package, on the configured URL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alembic import context
from sqlalchemy import create_engine

from kinko.config import get_settings
from kinko.tables import metadata

config = context.config
url = config.get_main_option("sqlalchemy.url") or get_settings().effective_database_url


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=metadata, literal_binds=True,
                      render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def _include_on(dialect: str) -> Callable[..., bool]:
    """What the comparison of models and database looks at: on PostgreSQL not the foreign
    keys marked ``checked_per_statement_on_pg`` (the postings' two keys, checked by a
    statement trigger there since migration 0019; SQLite has them as real foreign keys)."""

    def include(obj: Any, name: str | None, type_: str, reflected: bool,
                compare_to: Any) -> bool:
        if dialect == "postgresql" and type_ == "foreign_key_constraint" and not reflected:
            return not any(fk.info.get("checked_per_statement_on_pg") for fk in obj.elements)
        return True

    return include


def run_migrations_online() -> None:
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_object=_include_on(connection.dialect.name),
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
