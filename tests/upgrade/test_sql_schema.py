"""Schema revisions: Alembic migrations match the models, and old or foreign schemas are
refused with the command that fixes them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

import runstore
from runstore.backends.sql import migrate
from runstore.backends.sql.schema import REVISIONS, SCHEMA_HEAD, VERSION_TABLE, metadata
from runstore.backends.sql.schema.types import IdText
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
        database.empty()  # (the server database is shared by the tests of this worker)


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
        assert _id_collations(conn) == {_ID_COLLATION.get(engine.dialect.name)}
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


def test_upgrading_from_0002_keeps_rows_and_tells_ids_apart_by_case(empty_url: str) -> None:
    engine = _engine(empty_url)
    with engine.begin() as conn:
        command.upgrade(migrate.alembic_config(conn), "0002")
        conn.execute(sa.text(
            "INSERT INTO workflows (id, version, definition, content_hash, created_at) "
            "VALUES ('wf-Case', 1, :definition, :digest, '2024-05-01 12:00:00')"),
            {"definition": '{"who": "upper"}', "digest": "0" * 64})
        conn.execute(sa.text("INSERT INTO workflow_heads (id, last_version) "
                             "VALUES ('wf-Case', 1)"))
    engine.dispose()
    assert runstore.upgrade(empty_url) == ("0002", SCHEMA_HEAD)
    with runstore.open(empty_url) as store:
        assert store.workflows.store("wf-case", {"who": "lower"}).version == 1
        assert store.workflows.get("wf-Case", 1).definition == {"who": "upper"}
        assert store.workflows.get("wf-case", 1).definition == {"who": "lower"}
    engine = _engine(empty_url)
    with engine.connect() as conn:
        diff = ([] if engine.dialect.name == "duckdb" else
                compare_metadata(MigrationContext.configure(conn), metadata))
        assert _id_collations(conn) == {_ID_COLLATION.get(engine.dialect.name)}
    engine.dispose()
    assert [d for d in diff if d[0] != "remove_table"] == []


# Alembic's comparison does not see collations: what every IdText column must have.
_ID_COLLATION = {"postgresql": "C", "mysql": "utf8mb4_bin", "mariadb": "utf8mb4_bin"}


def _id_collations(conn: sa.Connection) -> set[str | None]:
    """The collations of every IdText column (``{None}`` where the dialect has none)."""
    if conn.dialect.name not in _ID_COLLATION:
        return {None}
    where = ("table_schema = DATABASE()" if conn.dialect.name != "postgresql"
             else "table_schema = current_schema()")
    found = {(table, column): collation for table, column, collation in conn.execute(sa.text(
        f"SELECT table_name, column_name, collation_name FROM information_schema.columns "
        f"WHERE {where}"))}
    wanted = [(table.name, column.name) for table in metadata.sorted_tables
              for column in table.columns if column.type is IdText]
    assert len(wanted) == 30
    return {found[key] for key in wanted}


@pytest.fixture
def latin1_url(mariadb_database: Any) -> Iterator[str]:
    """A MariaDB database whose default character set is latin1 (as older servers make)."""
    name = f"rs_latin1_{uuid.uuid4().hex[:8]}"
    with mariadb_database.admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name} CHARACTER SET latin1")
    try:
        yield sa.make_url(mariadb_database.url).set(database=name).render_as_string(
            hide_password=False)
    finally:
        with mariadb_database.admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")


@pytest.mark.parametrize("made_at", ["0002", "head"])
def test_a_latin1_mariadb_database_holds_any_text(latin1_url: str, made_at: str,
                                                  tmp_path: Path) -> None:
    if made_at == "0002":  # tables made by the previous revision, in latin1
        engine = _engine(latin1_url)
        with engine.begin() as conn:
            command.upgrade(migrate.alembic_config(conn), "0002")
        engine.dispose()
        runstore.upgrade(latin1_url)
    url = f"{latin1_url}?artifacts=file://{tmp_path / 'blobs'}"
    text = "日本語のメッセージ ✓ — ünïcödé"
    with runstore.open(url) as store:
        store.workflows.store("wf-Case", {"title": text})
        store.conversations.save_conversation({"id": "c-1", "source": text})
        store.logs.append("run-1", {"message": text})
    with runstore.open(url) as store:
        assert store.workflows.get("wf-Case", 1).definition == {"title": text}
        assert store.conversations.get_conversation("c-1").source == text
        assert [e.message for e in store.logs.iter_events("run-1")] == [text]
        assert store.workflows.store("wf-case", {"title": "other"}).version == 1
