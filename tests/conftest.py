"""Test fixtures: databases built by the migrations, on SQLite and (when configured) PostgreSQL.

Set ``KINKO_TEST_DATABASE_URL`` to a PostgreSQL server URL (e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``); every test run then creates its own
uniquely named database there, builds it with ``alembic upgrade head`` and drops it at the end.
Tests that take the ``db`` fixture run once per backend.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kinko import clock
from kinko.config import reset_settings
from kinko.db import Database
from kinko.db.migrate import upgrade
from kinko.policy import reset_policy_cache
from kinko.tables import metadata

PG_ADMIN_URL = os.environ.get("KINKO_TEST_DATABASE_URL", "")

# The tests' own secret key (Kinko has no default one); fixed so that failures reproduce.
TEST_SECRET_KEY = "kT3v9-Qm2LxW8pZr4NcYd7HbJf6GsUa1Ve5XiRo0TkMqEyBnCw"
# Also for module- and session-scoped fixtures (the browser tests' server), which are set up
# before the autouse fixture below runs; never the developer's own key.
os.environ["KINKO_SECRET_KEY"] = TEST_SECRET_KEY
os.environ.pop("KINKO_SECRET_KEY_PREVIOUS", None)
os.environ.pop("KINKO_SECRET_KEY_FILE", None)

# Two cores shared by parallel workers, PostgreSQL and the browser: wall-clock deadlines per
# example would make property tests flaky without making them any stricter.
hypothesis_settings.register_profile("kinko", deadline=None)
hypothesis_settings.load_profile("kinko")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "req(id): the SPEC requirement a test proves")


def _backends() -> list[str]:
    return ["sqlite", "postgresql"] if PG_ADMIN_URL else ["sqlite"]


def create_pg_database(admin_url: str) -> str:
    """Create a uniquely named database on the server of ``admin_url``; return its URL."""
    name = f"kinko_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(admin_url: str, url: str) -> None:
    name = make_url(url).database
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=_backends())
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[str]:
    """A migrated, empty database for this test session, one per backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'kinko.sqlite3'}"
        upgrade(url)
        yield url
    else:
        url = create_pg_database(PG_ADMIN_URL)
        try:
            upgrade(url)
            yield url
        finally:
            drop_pg_database(PG_ADMIN_URL, url)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """The session's database, emptied after each test."""
    database = Database(database_url)
    try:
        yield database
    finally:
        _empty(database)
        database.dispose()


def _empty(database: Database) -> None:
    with database.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def pg_url(database_url: str) -> Iterator[str]:
    """The PostgreSQL database, or a visible skip on SQLite; emptied after the test like
    :func:`db`'s (a test that opens its own ``Database`` on it must not leave rows for the
    next test of the same worker)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL: set KINKO_TEST_DATABASE_URL")
    yield database_url
    database = Database(database_url)
    try:
        _empty(database)
    finally:
        database.dispose()


@pytest.fixture(autouse=True)
def _clean_clock_and_settings(monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[None]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KINKO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KINKO_SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.delenv("KINKO_SECRET_KEY_PREVIOUS", raising=False)
    monkeypatch.delenv("KINKO_SECRET_KEY_FILE", raising=False)
    reset_settings()
    reset_policy_cache()
    yield
    clock.set_now(None)
    reset_settings()
    reset_policy_cache()
