"""Hot paths on the DB-API connection: statements compiled once, run without
SQLAlchemy's per-call machinery.

SQLAlchemy Core builds, caches and executes a statement in tens of microseconds, and
checking a connection out of the pool and beginning a transaction costs as much again.
That is nothing for most calls and most of the time of a cache lookup, a task status
change or a short log query. ``Prepared`` compiles a statement (with named
``bindparam``s) once for the backend's dialect; then

- ``session()`` runs prepared statements in one transaction: the thread's open
  ``transaction()`` if there is one; on a SQLite file, a connection this thread keeps
  (``SqliteConnections``: no pool checkout, no reset on return); otherwise a pooled
  DB-API connection (DuckDB, whose ``cursor()`` opens a new connection, goes through
  ``exec_driver_sql``);
- ``fetch()`` reads: on a SQLite file outside a transaction, on the thread's read-only
  connection (WAL lets it run beside a writer); otherwise in a read ``session()``.

Rows come back as the driver returns them: callers convert timestamps themselves
(``schema.types.utc_from_driver``) and bind them with ``SqlBackend.bind_time``.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa

from runstore.errors import BackendUnavailable, InvalidInput, RunstoreError

if TYPE_CHECKING:
    from runstore.backends.sql.backend import SqlBackend

__all__ = ["DriverSession", "Prepared", "SqliteConnections", "fetch", "on_connection",
           "session"]

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


class _Connection(sqlite3.Connection):
    """A sqlite3 connection that can be weakly referenced (the C type cannot)."""


class SqliteConnections:
    """One sqlite3 connection (and cursor) per thread, for work outside a transaction:
    no pool checkout, no reset on return. ``setup`` prepares a new connection (pragmas).

    Only the thread holds its connection: when the thread ends, its connection is
    closed at the next garbage collection, so a process that runs many short-lived
    threads does not pile up open databases. The rest are closed with the store
    (``close``)."""

    def __init__(self, database: str, url: str, setup: Callable[[Any], None]) -> None:
        self._database = str(Path(database).expanduser())
        self._url = url
        self._setup = setup
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: weakref.WeakSet[_Connection] = weakref.WeakSet()

    def cursor(self) -> sqlite3.Cursor:
        """This thread's cursor (its connection opened on first use)."""
        found: sqlite3.Cursor | None = getattr(self._local, "cursor", None)
        return found if found is not None else self._open()

    def _open(self) -> sqlite3.Cursor:
        try:
            conn = sqlite3.connect(self._database, isolation_level=None,
                                   check_same_thread=False, factory=_Connection)
            self._setup(conn)
        except sqlite3.Error as exc:
            raise BackendUnavailable(self._url, f"{type(exc).__name__}: {exc}") from exc
        with self._lock:
            self._opened.add(conn)
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
            opened, self._opened = list(self._opened), weakref.WeakSet()
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
    # One query alone reads one snapshot with or without a transaction: on PostgreSQL,
    # autocommit spares the BEGIN and COMMIT round trips around it.
    alone = len(queries) == 1 and backend.dialect == "postgresql"
    with session(backend, write=False, autocommit=alone) as db:
        return [db.fetchall(prepared, params) for prepared, params in queries]


class DriverSession:
    """Prepared statements run in one transaction, straight on the DB-API cursor where
    the driver allows it (SQLite, PostgreSQL, MySQL), else through ``exec_driver_sql``."""

    __slots__ = ("_connection", "_cursor")

    def __init__(self, cursor: Any = None, connection: sa.Connection | None = None) -> None:
        self._cursor = cursor
        self._connection = connection

    def execute(self, prepared: Prepared, params: Mapping[str, Any] | Sequence[Any]) -> int:
        """Run a statement; ``params`` is a mapping, or a list of them (executemany).
        Returns the number of rows changed."""
        args: Any = ([prepared.args(row) for row in params] if isinstance(params, list)
                     else prepared.args(params))  # type: ignore[arg-type]
        if self._cursor is None:
            assert self._connection is not None
            result = self._connection.exec_driver_sql(prepared.sql, args)
            return int(result.rowcount)
        if isinstance(params, list):
            self._cursor.executemany(prepared.sql, args)
        else:
            self._cursor.execute(prepared.sql, args)
        return int(self._cursor.rowcount)

    def fetchall(self, prepared: Prepared, params: Mapping[str, Any]) -> list[Row]:
        """Every row of a query (``RETURNING`` included)."""
        if self._cursor is None:
            assert self._connection is not None
            found = self._connection.exec_driver_sql(prepared.sql, prepared.args(params))
            return cast("list[Row]", found.fetchall())
        self._cursor.execute(prepared.sql, prepared.args(params))
        return cast("list[Row]", self._cursor.fetchall())

    def fetchone(self, prepared: Prepared, params: Mapping[str, Any]) -> Row | None:
        """The first row of a query, or ``None``."""
        rows = self.fetchall(prepared, params)
        return rows[0] if rows else None


def on_connection(conn: sa.Connection) -> DriverSession:
    """A ``DriverSession`` in the transaction ``conn`` has open (for a bulk read or
    write inside code that holds a SQLAlchemy connection)."""
    if conn.dialect.name == "duckdb":  # DuckDB's cursor() is a new connection
        return DriverSession(None, conn)
    driver_connection: Any = conn.connection.driver_connection
    return DriverSession(driver_connection.cursor(), conn)


_BEGIN = {True: "BEGIN IMMEDIATE", False: "BEGIN"}


@contextmanager
def session(backend: SqlBackend, *, write: bool = True,
            autocommit: bool = False) -> Iterator[DriverSession]:
    """A ``DriverSession`` in the thread's open transaction, or in a transaction of its
    own on a pooled DB-API connection that commits when the block ends.

    ``autocommit`` (PostgreSQL, outside a transaction): each statement commits alone,
    for a block that runs a single one; the connection goes back to the pool
    transactional.

    A fraction of ``backend.connect()``'s cost: no ``Connection`` object and no events.
    Code inside must not call ``backend.connect()`` (it would open a second connection
    and wait for this one's write lock) unless a ``transaction()`` block is open.
    """
    current = backend.current
    if current is not None or backend.dialect == "duckdb":  # (see on_connection)
        joined = backend.connect(write=write) if current is None else _joined(current)
        with joined as conn, backend.translating():
            yield on_connection(conn)
        return
    threads = backend.writers if write else backend.readers
    if threads is not None:  # a SQLite file: this thread's own connection
        with backend.translating():
            cursor = threads.cursor()
            cursor.execute(_BEGIN[write])
            try:
                yield DriverSession(cursor)
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")
        return
    with backend.serial, backend.translating():
        raw = backend.engine.raw_connection()
        driver: Any = raw.driver_connection
        try:
            if autocommit:
                driver.autocommit = True
            # psycopg reads rows faster in the binary protocol (times above all)
            binary = not write and backend.dialect == "postgresql"
            pooled: Any = raw.cursor(binary=True) if binary else raw.cursor()
            if backend.dialect == "sqlite":
                pooled.execute(_BEGIN[write])
            try:
                yield DriverSession(pooled)
            except BaseException:
                raw.rollback()
                raise
            raw.commit()
        finally:
            if autocommit:
                driver.autocommit = False
            raw.close()


@contextmanager
def _joined(conn: sa.Connection) -> Iterator[sa.Connection]:
    yield conn
