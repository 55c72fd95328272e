"""Schema revisions: Alembic migrations match the models, and old or foreign schemas are
refused with the command that fixes them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

import runstore
from runstore.backends.sql import migrate
from runstore.backends.sql.schema import REVISIONS, SCHEMA_HEAD, VERSION_TABLE, metadata
from runstore.errors import SchemaMismatch


def test_revisions_constant_matches_the_migrations_folder() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    ordered = [rev.revision for rev in reversed(list(script.walk_revisions()))]
    assert tuple(ordered) == REVISIONS
    assert script.get_current_head() == SCHEMA_HEAD


@pytest.fixture(params=["sqlite", "duckdb", "postgresql", "mariadb"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'up.db'}"
    elif request.param == "duckdb":
        yield f"duckdb:///{tmp_path / 'up.duckdb'}"
    else:
        database = request.getfixturevalue(
            "postgres_database" if request.param == "postgresql" else "mariadb_database")
        engine = sa.create_engine(sa.make_url(database.url).set(
            drivername=database.engine.url.drivername))
        with engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(sa.text(f"DROP TABLE IF EXISTS {table.name}"))
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {VERSION_TABLE}"))
        engine.dispose()
        yield database.url


def _engine(url: str) -> sa.Engine:
    from runstore.backends.sql.dialects import support_for
    from runstore.registry.url import StoreURL

    parsed = StoreURL.parse(url)
    return sa.create_engine(support_for(parsed).driver_url(sa.make_url(url)))


def test_upgrade_from_empty_builds_the_same_schema_as_the_models(empty_url: str) -> None:
    assert runstore.upgrade(empty_url) == (None, SCHEMA_HEAD)
    engine = _engine(empty_url)
    with engine.connect() as conn:
        assert migrate.current_revision(conn) == SCHEMA_HEAD
        if engine.dialect.name == "duckdb":
            # duckdb_engine cannot reflect columns; compare the tables it can list.
            assert set(metadata.tables) <= set(sa.inspect(conn).get_table_names())
            diff = []
        else:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert [d for d in diff if d[0] != "remove_table"] == []
    with runstore.open(empty_url) as store:
        assert store.workflows.store("after-upgrade", {"a": 1}).version == 1
    assert runstore.upgrade(empty_url) == (SCHEMA_HEAD, SCHEMA_HEAD)


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    runstore.open(url).close()
    engine = _engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"UPDATE {VERSION_TABLE} SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(SchemaMismatch) as caught:
        runstore.open(url)
    assert caught.value.found == "9999"
    assert "upgrade runstore" in str(caught.value)


def test_an_older_schema_names_the_upgrade_command(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    runstore.open(url).close()
    # Pretend this runstore is one revision ahead of the database.
    monkeypatch.setattr(migrate, "SCHEMA_HEAD", "9000")
    monkeypatch.setattr(migrate, "REVISIONS", (*REVISIONS, "9000"))
    with pytest.raises(SchemaMismatch) as caught:
        runstore.open(url)
    assert f"runstore upgrade {url}" in str(caught.value)


def test_tables_without_a_revision_are_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'foreign.db'}"
    engine = _engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE workflows (id TEXT)"))
    engine.dispose()
    with pytest.raises(SchemaMismatch, match="no schema revision"):
        runstore.open(url)
