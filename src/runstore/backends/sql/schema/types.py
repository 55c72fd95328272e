"""Column types that behave the same on every dialect."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.types import TypeEngine

__all__ = ["Blob", "IdText", "JsonText", "UtcDateTime", "raw_time", "utc_from_driver"]

# MySQL's TEXT and BLOB stop at 64 KiB; every other dialect's types are unbounded.
JsonText = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
Blob = sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")
# An id (``ID_PATTERN``: ASCII letters, digits, ``.``, ``_``, ``-``), compared and sorted
# by code point with case kept, on every dialect: MySQL/MariaDB's default collations
# fold case (``"Run-A"`` and ``"run-a"`` would be one key), PostgreSQL's follow the
# database's locale (and "C" is also the cheaper one to compare in its indexes); SQLite
# and DuckDB compare bytes already. (Result keys may hold spaces, which MySQL's binary
# collations pad away: they use results.KeyText, VARBINARY there, instead.)
IdText = (sa.String(128)
          .with_variant(postgresql.VARCHAR(128, collation="C"), "postgresql")
          .with_variant(mysql.VARCHAR(128, charset="utf8mb4", collation="utf8mb4_bin"),
                        "mysql", "mariadb"))


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """A UTC instant: stored as a naive UTC timestamp with microseconds, read back aware."""

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in {"mysql", "mariadb"}:
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(sa.DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # SQLite text storage read through a raw query
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class _DriverTime(sa.sql.expression.FunctionElement[Any]):
    """A ``UtcDateTime`` column read without SQLAlchemy's result processing."""

    type = sa.types.NullType()
    inherit_cache = True


@compiles(_DriverTime)
def _driver_time(element: _DriverTime, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(_DriverTime, "postgresql")
def _driver_time_postgresql(element: _DriverTime, compiler: Any, **kw: Any) -> str:
    # timestamptz, which psycopg reads as an aware datetime in the session's time zone
    # (UTC, set on connect): no per-value conversion left to do.
    return f"({compiler.process(element.clauses, **kw)} AT TIME ZONE 'UTC')"


def raw_time(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """A ``UtcDateTime`` column as the driver returns it (for hot loops that convert with
    ``utc_from_driver``), labelled with the column's name."""
    return _DriverTime(column).label(getattr(column, "name", None))


def utc_from_driver(value: Any) -> datetime:
    """A ``UtcDateTime`` value as the driver returns it (SQLite text, a naive datetime
    elsewhere), read back aware."""
    if value.__class__ is str:  # (concatenating beats .replace(tzinfo=...) fivefold)
        return datetime.fromisoformat(value + "+00:00")
    zone = value.tzinfo
    if zone is UTC:
        return value  # type: ignore[no-any-return]
    if zone is None:
        return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
    return value.astimezone(UTC)  # type: ignore[no-any-return]
