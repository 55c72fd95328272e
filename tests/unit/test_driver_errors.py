"""Statements run straight on the driver (prepared statements, COPY) raise runstore's
errors, as those run through SQLAlchemy do."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

import runstore
from runstore.backends.sql.backend import SqlBackend
from runstore.backends.sql.bulk import insert_rows
from runstore.backends.sql.driver import on_connection, session
from runstore.backends.sql.schema import log_runs
from runstore.errors import AlreadyExists, RunstoreError


@pytest.fixture(params=["sqlite", "duckdb", "postgresql", "mariadb"])
def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'errors.db'}"
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'errors.duckdb'}"
    fixture = "postgres_url" if request.param == "postgresql" else "mariadb_url"
    url: str = request.getfixturevalue(fixture)
    return f"{url}?artifacts=file://{tmp_path / 'artifacts'}"


def _backend(store: runstore.Store) -> SqlBackend:
    backend = store.backend_for("logs")
    assert isinstance(backend, SqlBackend)
    return backend


def test_a_duplicate_key_on_the_driver_is_already_exists(sql_url: str) -> None:
    with runstore.open(sql_url) as store:
        store.logs.append("run-1", {"message": "first"})
        backend = _backend(store)
        insert = backend.prepare(log_runs.insert().values(
            run_id=sa.bindparam("run"), last_seq=sa.bindparam("seq"),
            max_level=sa.bindparam("level")))
        row = {"run": "run-1", "seq": 9, "level": 9}
        with pytest.raises(AlreadyExists), backend.connect() as conn:
            on_connection(conn).execute(insert, row)
        with pytest.raises(AlreadyExists), session(backend) as db:
            db.execute(insert, row)
        with pytest.raises(AlreadyExists), backend.connect() as conn:  # COPY on PostgreSQL
            insert_rows(backend, conn, log_runs, ("run_id", "last_seq", "max_level"),
                        [("run-2", 1, 1), ("run-1", 1, 1)])
        assert store.logs.append("run-1", {"message": "second"}) == 2  # nothing was lost


def test_other_driver_errors_are_runstore_errors(sql_url: str) -> None:
    with runstore.open(sql_url) as store:
        backend = _backend(store)
        broken = backend.prepare(sa.text("SELECT no_such_column FROM log_runs"))
        with pytest.raises(RunstoreError, match="no_such_column"), \
                backend.connect() as conn:
            on_connection(conn).fetchall(broken, {})
