"""The shared MetaData and the schema revision this code expects."""

from __future__ import annotations

from typing import Any, Final

import sqlalchemy as sa

__all__ = ["REVISIONS", "SCHEMA_HEAD", "TABLE_OPTIONS", "VERSION_TABLE", "metadata",
           "version_table"]

# Every table's options: on MySQL/MariaDB, UTF-8 text whatever the database's default
# character set is (a latin1 database would refuse most of the world's text).
TABLE_OPTIONS: Final[dict[str, Any]] = {"mysql_charset": "utf8mb4"}

metadata = sa.MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

# Every Alembic revision, oldest first; tests check this against the migrations folder.
REVISIONS: Final[tuple[str, ...]] = ("0001", "0002", "0003")
SCHEMA_HEAD: Final = REVISIONS[-1]

VERSION_TABLE: Final = "runstore_schema_version"
# The same shape as Alembic's own version table, kept out of ``metadata``.
version_table = sa.Table(
    VERSION_TABLE,
    sa.MetaData(),
    sa.Column("version_num", sa.String(32), primary_key=True),
)
