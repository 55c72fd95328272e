"""PostgreSQL fast path: bulk rows through psycopg ``COPY ... FROM STDIN``.

Runs on the raw DBAPI connection under the SQLAlchemy connection, so the rows join
the transaction that is already open (the same one that locked the run's counter row).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg import sql

from runstore.backends.sql.schema.types import UtcDateTime

__all__ = ["copy_rows"]


def copy_rows(conn: sa.Connection, table: sa.Table, columns: Sequence[str],
              rows: Sequence[Sequence[Any]]) -> None:
    """Write ``rows`` (tuples in ``columns`` order; datetimes in UTC, stored naive as every
    ``UtcDateTime`` column is) to ``table`` with one COPY."""
    dbapi = conn.connection.dbapi_connection
    assert isinstance(dbapi, psycopg.Connection)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c) for c in columns))
    with dbapi.cursor() as cursor, cursor.copy(statement) as copy:
        times = [n for n, name in enumerate(columns)
                 if isinstance(table.c[name].type, UtcDateTime)]
        write = copy.write_row
        if not times:
            for row in rows:
                write(row)
            return
        for row in rows:
            write([_naive(value) if n in times else value for n, value in enumerate(row)])


def _naive(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=None)
