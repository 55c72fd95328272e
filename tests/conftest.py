"""Shared fixtures: throw-away databases on the local PostgreSQL and MariaDB servers.

A test that needs a server skips with a one-line reason when none is reachable,
except under ``CI=true``, where a missing server fails the run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

pytest.register_assert_rewrite("runstore.testing")

import sqlalchemy as sa  # noqa: E402

from runstore.backends.sql.schema import metadata  # noqa: E402

POSTGRES_ADMIN = os.environ.get("RUNSTORE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MARIADB_ADMIN = os.environ.get("RUNSTORE_TEST_MARIADB", "mysql+pymysql://root@127.0.0.1:3306/test")


def _unavailable(what: str, exc: Exception) -> None:
    reason = f"{what} not reachable: {type(exc).__name__}: {str(exc).splitlines()[0]}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true requires {reason}")
    pytest.skip(reason)


class ServerDatabase:
    """A database created for this test session, emptied after each test."""

    def __init__(self, admin_url: str, url: str, name: str) -> None:
        self.admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT",
                                      poolclass=sa.pool.NullPool)
        self.url = url
        self.name = name
        self.engine = sa.create_engine(
            sa.make_url(url).set(drivername=sa.make_url(admin_url).drivername),
            poolclass=sa.pool.NullPool,
        )

    def empty(self) -> None:
        """Delete every row runstore wrote, keeping the schema (fast between tests)."""
        with self.engine.begin() as conn:
            existing = set(sa.inspect(conn).get_table_names())
            for table in reversed(metadata.sorted_tables):
                if table.name in existing:
                    conn.execute(table.delete())

    def drop(self) -> None:
        self.engine.dispose()
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {self.name}")
        self.admin.dispose()


def _server_database(admin_url: str, scheme: str, what: str) -> Iterator[ServerDatabase]:
    name = f"rs_test_{uuid.uuid4().hex[:10]}"
    admin = sa.make_url(admin_url)
    try:
        engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        engine.dispose()
    except Exception as exc:
        _unavailable(what, exc)
    url = admin.set(drivername=scheme, database=name).render_as_string(hide_password=False)
    database = ServerDatabase(admin_url, url, name)
    try:
        yield database
    finally:
        database.drop()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[ServerDatabase]:
    yield from _server_database(POSTGRES_ADMIN, "postgresql", "PostgreSQL at 127.0.0.1:5432")


@pytest.fixture(scope="session")
def mariadb_database() -> Iterator[ServerDatabase]:
    yield from _server_database(MARIADB_ADMIN, "mysql+pymysql", "MariaDB at 127.0.0.1:3306")


@pytest.fixture
def postgres_url(postgres_database: ServerDatabase) -> Iterator[str]:
    yield postgres_database.url
    postgres_database.empty()


@pytest.fixture
def mariadb_url(mariadb_database: ServerDatabase) -> Iterator[str]:
    yield mariadb_database.url
    mariadb_database.empty()
