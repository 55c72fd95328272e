"""PostgreSQL fast path: bulk rows through psycopg ``COPY ... FROM STDIN``.

Runs on the raw DBAPI connection under the SQLAlchemy connection, so the rows join
the transaction that is already open (the same one that locked the run's counter row).
Rows go in PostgreSQL's binary format where every column's type has a binary form
here (less to format on this side, nothing to parse on the server's), else as text.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any, Final

import psycopg
import sqlalchemy as sa
from psycopg import sql

__all__ = ["copy_rows"]

# Column types (as PostgreSQL names them) -> the type psycopg writes in binary. A
# ``timestamp`` column is written as ``timestamptz``: both are microseconds since 2000
# in binary, so an aware UTC datetime lands as its UTC wall time, unconverted.
_BINARY: Final = {"VARCHAR": "varchar", "TEXT": "text", "SMALLINT": "int2",
                  "INTEGER": "int4", "BIGINT": "int8", "FLOAT": "float8",
                  "DOUBLE PRECISION": "float8", "BOOLEAN": "bool",
                  "TIMESTAMP WITHOUT TIME ZONE": "timestamptz", "BYTEA": "bytea"}


def copy_rows(conn: sa.Connection, table: sa.Table, columns: Sequence[str],
              rows: Iterable[Sequence[Any]]) -> None:
    """Write ``rows`` (tuples in ``columns`` order; datetimes aware, in UTC, as every
    record holds them) to ``table`` with one COPY (none when there are no rows)."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    dbapi = conn.connection.dbapi_connection
    assert isinstance(dbapi, psycopg.Connection)
    types = _binary_types(conn.dialect, table, tuple(columns))
    statement = sql.SQL("COPY {} ({}) FROM STDIN{}").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c) for c in columns),
        sql.SQL(" (FORMAT BINARY)" if types else ""))
    with dbapi.cursor() as cursor, cursor.copy(statement) as copy:
        if types:
            copy.set_types(types)
        write = copy.write_row
        write(first)
        for row in rows:
            write(row)


@functools.lru_cache(maxsize=64)
def _binary_types(dialect: sa.Dialect, table: sa.Table,
                  columns: tuple[str, ...]) -> list[str] | None:
    """psycopg's binary type for each of ``columns``, or ``None`` (then COPY in text)."""
    found = []
    for name in columns:
        compiled = table.c[name].type.compile(dialect=dialect)
        binary = _BINARY.get(compiled.split("(")[0])
        if binary is None:
            return None
        found.append(binary)
    return found
