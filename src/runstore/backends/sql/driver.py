"""Hot reads on the DB-API connection: statements compiled once, run without SQLAlchemy's
per-call machinery.

SQLAlchemy Core builds, caches and executes a statement in tens of microseconds, and
checking a connection out of the pool and beginning a transaction costs as much again.
That is nothing for most calls and most of the time of a cache lookup or a short log
query. ``Prepared`` compiles a statement (with named ``bindparam``s) once for the
backend's dialect; ``fetch`` runs it:

- inside the thread's ``transaction()`` block, on that transaction's connection;
- on a SQLite file, on a read-only connection this thread keeps open (a single SELECT
  is atomic in SQLite, and WAL lets it run beside a writer);
- otherwise on a pooled connection, through ``exec_driver_sql``.

Rows come back as the driver returns them: callers convert timestamps themselves
(``schema.types.utc_from_driver``) and bind them with ``SqlBackend.bind_time``.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa

from runstore.errors import BackendUnavailable, InvalidInput, RunstoreError

if TYPE_CHECKING:
    from runstore.backends.sql.backend import SqlBackend

__all__ = ["Prepared", "SqliteReaders", "fetch"]

Row = tuple[Any, ...]


class Prepared:
    """A statement compiled once for one dialect, with its parameters in driver order."""

    __slots__ = ("defaults", "names", "sql")

    def __init__(self, statement: sa.ClauseElement, dialect: sa.Dialect) -> None:
        compiled = cast("sa.sql.compiler.SQLCompiler", statement.compile(dialect=dialect))
        self.sql = compiled.string
        # qmark/numeric drivers (SQLite, DuckDB) take a tuple; pyformat ones a dict.
        self.names: tuple[str, ...] | None = (
            tuple(compiled.positiontup or ()) if compiled.positional else None)
        # Parameters the statement fills itself (SQLite's "OFFSET ?" after a bound LIMIT).
        self.defaults = {name: bind.effective_value for name, bind in compiled.binds.items()
                         if not bind.required}

    def args(self, params: Mapping[str, Any]) -> Sequence[Any] | Mapping[str, Any]:
        """``params`` in the form the driver takes."""
        if self.defaults:
            params = {**self.defaults, **params}
        if self.names is None:
            return params
        return tuple(params[name] for name in self.names)


class SqliteReaders:
    """One read-only sqlite3 connection (and cursor) per thread, for reads outside a
    transaction."""

    def __init__(self, database: str, url: str, busy_timeout_ms: int = 60_000) -> None:
        self._database = str(Path(database).expanduser())
        self._url = url
        self._busy = busy_timeout_ms
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[sqlite3.Connection] = []

    def cursor(self) -> sqlite3.Cursor:
        """This thread's cursor (its connection opened on first use)."""
        found: sqlite3.Cursor | None = getattr(self._local, "cursor", None)
        return found if found is not None else self._open()

    def _open(self) -> sqlite3.Cursor:
        try:
            conn = sqlite3.connect(self._database, isolation_level=None,
                                   check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {self._busy}")
            conn.execute("PRAGMA query_only = 1")
        except sqlite3.Error as exc:
            raise BackendUnavailable(self._url, f"{type(exc).__name__}: {exc}") from exc
        with self._lock:
            self._opened.append(conn)
        cursor = conn.cursor()
        self._local.cursor = cursor
        return cursor

    def fetch(self, *queries: tuple[str, Sequence[Any]]) -> list[list[Row]]:
        """Every row of each SELECT; several run in one read transaction (one snapshot)."""
        cursor = self.cursor()
        try:
            if len(queries) == 1:
                sql, args = queries[0]
                return [cursor.execute(sql, args).fetchall()]
            cursor.execute("BEGIN")
            try:
                return [cursor.execute(sql, args).fetchall() for sql, args in queries]
            finally:
                cursor.execute("COMMIT")
        except sqlite3.Error as exc:
            raise RunstoreError(f"{self._url}: database error: {exc}") from exc
        except UnicodeEncodeError as exc:
            raise InvalidInput(f"{self._url}: a parameter is not valid text ({exc})") from exc

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            opened, self._opened = self._opened, []
        for conn in opened:
            conn.close()
        self._local = threading.local()


def fetch(backend: SqlBackend,
          *queries: tuple[Prepared, Mapping[str, Any]]) -> list[list[Row]]:
    """Every row of each ``(prepared, params)``, all read from one snapshot (see the
    module docstring for on which connection)."""
    readers = backend.readers
    if readers is not None and not backend.in_transaction:
        return readers.fetch(*((prepared.sql, cast("Sequence[Any]", prepared.args(params)))
                               for prepared, params in queries))
    with backend.connect(write=False) as conn:
        # sqlalchemy Rows unpack like tuples
        return [cast("list[Row]", conn.exec_driver_sql(prepared.sql, prepared.args(params))
                     .fetchall()) for prepared, params in queries]
