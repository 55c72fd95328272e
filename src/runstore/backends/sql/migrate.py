"""Schema creation, version checks and upgrades (Alembic)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from runstore.backends.sql.schema import (
    REVISIONS,
    SCHEMA_HEAD,
    VERSION_TABLE,
    metadata,
    version_table,
)
from runstore.errors import SchemaMismatch

__all__ = ["MIGRATIONS", "alembic_config", "current_revision", "ensure_schema", "upgrade"]

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic config for runstore's migrations, bound to ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def current_revision(conn: sa.Connection) -> str | None:
    """The schema revision recorded in the database, or ``None`` if there is none."""
    if not sa.inspect(conn).has_table(VERSION_TABLE):
        return None
    return conn.execute(sa.select(version_table.c.version_num)).scalar()


def _has_runstore_tables(conn: sa.Connection) -> bool:
    existing = set(sa.inspect(conn).get_table_names())
    return bool(existing & set(metadata.tables))


def ensure_schema(conn: sa.Connection, url: str) -> None:
    """Create the schema in an empty database; otherwise require the expected revision."""
    found = current_revision(conn)
    if found == SCHEMA_HEAD:
        return
    if found is None and not _has_runstore_tables(conn):
        metadata.create_all(conn)
        version_table.create(conn)
        conn.execute(version_table.insert().values(version_num=SCHEMA_HEAD))
        return
    if found in REVISIONS:
        fix = f"run 'runstore upgrade {url}'"
    elif found is None:
        fix = "its runstore tables have no schema revision; it was not created by runstore"
    else:
        fix = "it was written by a newer runstore; upgrade runstore (pip install -U runstore)"
    raise SchemaMismatch(url, found, SCHEMA_HEAD, fix)


def upgrade(conn: sa.Connection) -> tuple[str | None, str]:
    """Run every pending migration on ``conn``; returns (from, to) revisions."""
    before = current_revision(conn)
    command.upgrade(alembic_config(conn), "head")
    return before, SCHEMA_HEAD
