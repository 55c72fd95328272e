"""PostgreSQL fast path: bulk rows through psycopg ``COPY ... FROM STDIN``.

Runs on the raw DBAPI connection under the SQLAlchemy connection, so the rows join
the transaction that is already open (the same one that locked the run's counter row).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg import sql

__all__ = ["copy_rows"]


def copy_rows(conn: sa.Connection, table: sa.Table, columns: Sequence[str],
              rows: Sequence[Sequence[Any]]) -> None:
    """Write ``rows`` (tuples in ``columns`` order; datetimes in UTC) to ``table`` with
    one COPY.

    Aware datetimes are written as they are: a ``UtcDateTime`` column is a ``timestamp
    without time zone``, whose input ignores the "+00:00" of a UTC value (every time a
    record holds is in UTC), which spares converting each one to a naive datetime.
    """
    dbapi = conn.connection.dbapi_connection
    assert isinstance(dbapi, psycopg.Connection)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c) for c in columns))
    with dbapi.cursor() as cursor, cursor.copy(statement) as copy:
        write = copy.write_row
        for row in rows:
            write(row)
