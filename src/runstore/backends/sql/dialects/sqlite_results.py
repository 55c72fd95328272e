"""SQLite fast path for ``results.get_record``: one read-only sqlite3 connection per thread.

A cache read is the hottest call of the results repository; going through the pool and
SQLAlchemy's statement machinery costs several times the lookup itself. Outside a
``transaction()`` block a read needs no transaction of its own (SQLite runs a single
SELECT atomically), so this reader keeps one plain connection per thread.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import orjson

from runstore.backends.sql.result_rows import STATUS as _STATUS
from runstore.backends.sql.result_rows import record_from_row
from runstore.errors import BackendUnavailable, RunstoreError
from runstore.models.results import ResultRecord

__all__ = ["SqliteResultReader"]

_COLUMNS: Final = ("key", "status", "serializer", "size", "content_hash", "value",
                   "artifact_sha256", "artifact_media_type", "error", "metadata", "created_at")
_SELECT: Final = f"SELECT {', '.join(_COLUMNS)} FROM results WHERE key = ?"
_EMPTY_METADATA: Final = dict


def _utc(value: Any) -> datetime:
    if isinstance(value, str):  # naive UTC text, as SQLAlchemy writes it
        return datetime.fromisoformat(value + "+00:00")
    assert isinstance(value, datetime)
    return value


class SqliteResultReader:
    """Callable: ``reader(key)`` gives the row of ``key`` as a dict, or ``None``."""

    def __init__(self, database: str, url: str, busy_timeout_ms: int = 60_000) -> None:
        self._database = str(Path(database).expanduser())
        self._url = url
        self._busy = busy_timeout_ms
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[sqlite3.Connection] = []

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self._database, isolation_level=None,
                                       check_same_thread=False)
                conn.execute(f"PRAGMA busy_timeout = {self._busy}")
                conn.execute("PRAGMA query_only = 1")
            except sqlite3.Error as exc:
                raise BackendUnavailable(self._url, f"{type(exc).__name__}: {exc}") from exc
            with self._lock:
                self._opened.append(conn)
            self._local.conn = conn
        return conn

    def __call__(self, key: str) -> tuple[ResultRecord, bytes | None] | None:
        """The record of ``key`` (without a loader) and its inline bytes, or ``None``."""
        conn = getattr(self._local, "conn", None) or self._connection()
        try:
            found = conn.execute(_SELECT, (key,)).fetchone()
        except sqlite3.Error as exc:
            raise RunstoreError(f"{self._url}: database error: {exc}") from exc
        if found is None:
            return None
        (key, status, serializer, size, digest, value, artifact_sha256, _media_type, error,
         metadata, created) = found
        if artifact_sha256 is not None or error is not None:
            row = dict(zip(_COLUMNS, found, strict=True))
            row["created_at"] = _utc(created)
            return record_from_row(row), value
        return ResultRecord.trusted({
            "key": key, "status": _STATUS[status], "serializer": serializer, "size": size,
            "content_hash": digest, "artifact": None, "error": None,
            "metadata": _EMPTY_METADATA() if metadata == "{}" else orjson.loads(metadata),
            "created_at": _utc(created),
        }), value

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            opened, self._opened = self._opened, []
        for conn in opened:
            conn.close()
        self._local = threading.local()
