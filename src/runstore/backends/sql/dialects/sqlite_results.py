"""SQLite fast path for ``results.get_record`` on the thread's read-only cursor
(``driver.SqliteConnections``).

A cache read is the hottest call of the results repository; going through the pool and
SQLAlchemy's statement machinery costs several times the lookup itself, and even the
generic ``driver.fetch`` is measurable here, so this reader builds the record straight
from the row.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any, Final

import orjson

from runstore.backends._shared.results import ResultCodec, check_key
from runstore.backends.sql.driver import SqliteConnections
from runstore.backends.sql.result_rows import STATUS as _STATUS
from runstore.backends.sql.result_rows import record_from_row
from runstore.backends.sql.schema.types import utc_from_driver
from runstore.errors import RunstoreError
from runstore.models.results import RESULT_KEY_MAX, ResultRecord, ResultStatus

__all__ = ["SqliteResultReader"]

_COLUMNS: Final = ("status", "serializer", "size", "content_hash", "value",
                   "artifact_sha256", "artifact_media_type", "error", "metadata", "created_at")
_SELECT: Final = f"SELECT {', '.join(_COLUMNS)} FROM results WHERE key = ?"
# The common case (an inline success) needs fewer columns; every column read costs.
_SELECT_LEAN: Final = ("SELECT status, serializer, size, content_hash, value, "
                       "artifact_sha256, metadata, created_at FROM results WHERE key = ?")
_SUCCESS: Final = ResultStatus.SUCCESS
_loads = orjson.loads
_from_iso = datetime.fromisoformat


class SqliteResultReader:
    """Callable: ``reader(key)`` gives the record of ``key``, or ``None``."""

    def __init__(self, readers: SqliteConnections, url: str, codec: ResultCodec) -> None:
        self._cursor = readers.cursor
        self._url = url
        self._attach = codec.attach
        self._record = codec.record

    def __call__(self, key: str) -> ResultRecord | None:
        """The record of ``key`` with its value decoded on access, or ``None``."""
        if type(key) is not str or "\x00" in key or not 0 < len(key) <= RESULT_KEY_MAX:
            check_key(key)  # raises, naming what is wrong
        cursor = self._cursor()
        try:
            found = cursor.execute(_SELECT_LEAN, (key,)).fetchone()
            if found is None:
                return None
            status = _STATUS[found[0]]
            if status is not _SUCCESS or found[5] is not None:  # a failure, or in artifacts
                return self._full(key, cursor.execute(_SELECT, (key,)).fetchone())
        except UnicodeEncodeError:
            check_key(key)
            raise
        except sqlite3.Error as exc:
            raise RunstoreError(f"{self._url}: database error: {exc}") from exc
        _, serializer, size, digest, value, _, metadata, created = found
        return self._record({
            "key": key, "status": status, "serializer": serializer, "size": size,
            "content_hash": digest, "artifact": None, "error": None,
            "metadata": {} if metadata == "{}" else _loads(metadata),
            "created_at": _from_iso(created + "+00:00"),  # SQLite text: naive UTC
        }, value)

    def _full(self, key: str, found: tuple[Any, ...] | None) -> ResultRecord | None:
        if found is None:  # deleted between the two reads
            return None
        row = dict(zip(_COLUMNS, found, strict=True))
        row["key"] = key
        row["created_at"] = utc_from_driver(row["created_at"])
        return self._attach(record_from_row(row), row["value"])
