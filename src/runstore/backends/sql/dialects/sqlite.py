"""SQLite: WAL, a long busy timeout, foreign keys, BEGIN IMMEDIATE for writers."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import sqlite
from sqlalchemy.pool import StaticPool

from runstore.backends._shared.locks import file_lock, thread_lock
from runstore.backends.sql.dialects.base import DialectSupport
from runstore.errors import InvalidInput

__all__ = ["READ_ONLY", "SqliteSupport", "sqlite_time"]

# Connection execution option: begin a deferred (read) transaction instead of IMMEDIATE.
READ_ONLY = "runstore_read_only"
_SYNCHRONOUS = {"off", "normal", "full", "extra"}


_TIME_TEXT = "%04d-%02d-%02d %02d:%02d:%02d.%06d"  # SQLAlchemy's SQLite DATETIME format


def sqlite_time(value: datetime) -> str:
    """The text SQLAlchemy's SQLite DATETIME writes (and reads back) for a UTC instant:
    naive, with microseconds. (Formatted from its fields: ``isoformat`` of an aware value
    costs half as much again, asking its zone for an offset only to cut it off.)"""
    return _TIME_TEXT % (value.year, value.month, value.day, value.hour, value.minute,
                         value.second, value.microsecond)


def _nothing(_connection: Any) -> None:
    pass


def _is_memory(url: sa.URL) -> bool:
    return url.database in {None, "", ":memory:"}


class SqliteSupport(DialectSupport):
    name = "sqlite"

    def __init__(self) -> None:
        super().__init__()
        self._memory = False
        # Set up a new sqlite3 connection for writing / for reading (see ``configure``).
        self.setup_writer: Callable[[Any], None] = _nothing
        self.setup_reader: Callable[[Any], None] = _nothing

    def split_options(self, url: sa.URL) -> tuple[sa.URL, dict[str, str]]:
        options = {key: str(url.query[key]) for key in ("synchronous", "busy_timeout")
                   if key in url.query}
        self._memory = _is_memory(url)
        if self._memory:
            self.serialize = True
            self.durable = False
            self.multi_process = False
        sync = options.get("synchronous", "normal").lower()
        if sync not in _SYNCHRONOUS:
            raise InvalidInput(f"synchronous={sync!r}: use one of {sorted(_SYNCHRONOUS)}")
        return url.difference_update_query(["synchronous", "busy_timeout"]), options

    def bind_time(self, value: datetime) -> object:
        return sqlite_time(value.astimezone(UTC))

    def _insert_on_conflict(self, table: sa.Table) -> Any:
        return sqlite.insert(table)

    def prepare_database(self, url: sa.URL) -> None:
        if not _is_memory(url):
            assert url.database is not None
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)

    def engine_options(self, url: sa.URL, options: dict[str, str]) -> dict[str, Any]:
        if self._memory:
            return {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        return {"pool_size": 8, "max_overflow": 16}

    def configure(self, engine: sa.Engine, options: dict[str, str]) -> None:
        busy_ms = int(options.get("busy_timeout", "60000"))
        synchronous = options.get("synchronous", "normal").upper()
        memory = self._memory

        def setup_writer(dbapi_connection: Any) -> None:
            # Let SQLAlchemy (or driver.session), not the sqlite3 module, decide when
            # transactions begin.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
            if not memory and cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute(f"PRAGMA synchronous = {synchronous}")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.close()

        def setup_reader(dbapi_connection: Any) -> None:
            dbapi_connection.execute(f"PRAGMA busy_timeout = {busy_ms}")
            dbapi_connection.execute("PRAGMA query_only = 1")

        self.setup_writer, self.setup_reader = setup_writer, setup_reader

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            setup_writer(dbapi_connection)

        @event.listens_for(engine, "begin")
        def _on_begin(connection: sa.Connection) -> None:
            # IMMEDIATE takes the write lock up front, so a writer waits (busy timeout)
            # instead of failing with "database is locked" when it upgrades a read lock.
            # Straight to the driver: exec_driver_sql would run the whole statement
            # machinery (events, result setup) on every transaction.
            read_only = connection.get_execution_options().get(READ_ONLY, False)
            connection.connection.driver_connection.execute(  # type: ignore[union-attr]
                "BEGIN" if read_only else "BEGIN IMMEDIATE")

    def lock(self, engine: sa.Engine, name: str,
             timeout: float | None) -> AbstractContextManager[None]:
        database = engine.url.database
        if self._memory or database is None:
            return thread_lock(engine, name, timeout)
        path = Path(database).expanduser().resolve()
        return file_lock(path.parent / f"{path.name}.locks", name, timeout)
