"""Bulk inserts through each dialect's fastest path: ``COPY`` on PostgreSQL, the driver's
``executemany`` on SQLite, SQLAlchemy's ``executemany`` elsewhere; always inside the
transaction that is already open."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

import sqlalchemy as sa

from runstore.backends.sql.dialects.sqlite import sqlite_time
from runstore.backends.sql.schema.types import UtcDateTime

if TYPE_CHECKING:
    from runstore.backends.sql.backend import SqlBackend

__all__ = ["insert_rows"]

_CHUNK: Final = 5000


def _sqlite_time(value: datetime | None) -> str | None:
    return None if value is None else sqlite_time(value)


def _sqlite_rows(table: sa.Table, columns: Sequence[str],
                 rows: Sequence[tuple[Any, ...]]) -> Sequence[tuple[Any, ...]]:
    times = [n for n, name in enumerate(columns) if isinstance(table.c[name].type, UtcDateTime)]
    if not times:
        return rows
    if len(times) == 1:
        n = times[0]
        return [(*row[:n], _sqlite_time(row[n]), *row[n + 1:]) for row in rows]
    return [tuple(_sqlite_time(v) if i in times else v for i, v in enumerate(row))
            for row in rows]


def insert_rows(backend: SqlBackend, conn: sa.Connection, table: sa.Table,
                columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert ``rows`` (tuples in ``columns`` order, Python values, datetimes in UTC)
    into ``table`` inside ``conn``'s transaction."""
    if not rows:
        return
    if backend.dialect == "postgresql":
        from runstore.backends.sql.dialects.pg_copy import copy_rows

        copy_rows(conn, table, columns, rows)
        return
    if backend.dialect == "sqlite":
        marks = ", ".join("?" * len(columns))
        names = ", ".join(f'"{name}"' for name in columns)
        conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})',
                             list(_sqlite_rows(table, columns, rows)))
        return
    statement = table.insert()
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start:start + _CHUNK]
        conn.execute(statement, [dict(zip(columns, row, strict=True)) for row in chunk])
