"""Bulk inserts through each dialect's fastest path: ``COPY`` on PostgreSQL, the driver's
``executemany`` on SQLite, SQLAlchemy's ``executemany`` elsewhere; always inside the
transaction that is already open."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import islice
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
                 rows: Iterable[tuple[Any, ...]]) -> Iterable[tuple[Any, ...]]:
    times = [n for n, name in enumerate(columns) if isinstance(table.c[name].type, UtcDateTime)]
    if not times:
        return rows
    if len(times) == 1:
        n = times[0]
        return ((*row[:n], _sqlite_time(row[n]), *row[n + 1:]) for row in rows)
    return (tuple(_sqlite_time(v) if i in times else v for i, v in enumerate(row))
            for row in rows)


def insert_rows(backend: SqlBackend, conn: sa.Connection, table: sa.Table,
                columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert ``rows`` (tuples in ``columns`` order, Python values, datetimes in UTC)
    into ``table`` inside ``conn``'s transaction.

    ``rows`` may be a generator: on PostgreSQL each row is made while COPY streams the
    ones before it to the server, so building rows overlaps with the server's work.
    """
    if backend.dialect == "postgresql":
        from runstore.backends.sql.dialects.pg_copy import copy_rows

        copy_rows(conn, table, columns, rows)
        return
    if backend.dialect == "sqlite":
        marks = ", ".join("?" * len(columns))
        names = ", ".join(f'"{name}"' for name in columns)
        converted = list(_sqlite_rows(table, columns, rows))
        if converted:
            conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})',
                                 converted)
        return
    statement = table.insert()
    remaining = iter(rows)
    while chunk := list(islice(remaining, _CHUNK)):
        conn.execute(statement, [dict(zip(columns, row, strict=True)) for row in chunk])
