"""The materialization store: one execution's results in process, with an optional
durable results database behind it.

Reads and writes follow two explicit flags and nothing else:

- ``read_through``: a key not known in process is looked up in ``results``; a hit is
  kept in process from then on.
- ``write_through``: every put is also written to ``results``, synchronously, before
  the call returns.

Without ``results`` both flags have nothing to do. Nothing runs in a background thread.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from runstore.errors import NotFound
from runstore.models.common import JsonObject
from runstore.models.results import ResultError, ResultRecord, ResultStatus
from runstore.ports.results import ResultRepository

__all__ = ["Materialization", "MaterializationStore"]


@dataclass(frozen=True, slots=True)
class Materialization:
    """One key's outcome in process: a value or an error. ``source`` is ``"process"``
    when it was put in this store, ``"results"`` when it was read through."""

    key: str
    status: ResultStatus
    value: Any = None
    error: ResultError | None = None
    metadata: JsonObject = field(default_factory=dict)
    source: str = "process"

    @property
    def ok(self) -> bool:
        return self.status is ResultStatus.SUCCESS


class MaterializationStore:
    """Runtime artifacts and failures of one execution, keyed by task key.

    Values are kept as the objects given (no serialization) unless they are written
    through to ``results``, which encodes them with the named serializer. Thread-safe.
    """

    def __init__(self, results: ResultRepository | None = None, *, read_through: bool = True,
                 write_through: bool = True) -> None:
        self.results = results
        self.read_through = read_through
        self.write_through = write_through
        self._lock = threading.RLock()
        self._entries: dict[str, Materialization] = {}

    def put_success(self, key: str, value: Any, *, serializer: str = "json",
                    metadata: Mapping[str, Any] | None = None) -> Materialization:
        """Keep ``value`` for ``key``; with ``write_through``, also store it durably
        (an encoding error is raised here and nothing is kept)."""
        if self.write_through and self.results is not None:
            self.results.put_success(key, value, serializer=serializer,
                                     metadata=dict(metadata or {}))
        entry = Materialization(key, ResultStatus.SUCCESS, value=value,
                                metadata=dict(metadata or {}))
        with self._lock:
            self._entries[key] = entry
        return entry

    def put_failure(self, key: str, error: BaseException | str | ResultError, *,
                    metadata: Mapping[str, Any] | None = None) -> Materialization:
        """Keep a failure for ``key`` (type, message, traceback); written through like a value."""
        detail = error if isinstance(error, ResultError) else ResultError.from_error(error)
        if self.write_through and self.results is not None:
            self.results.put_failure(key, detail, metadata=dict(metadata or {}))
        entry = Materialization(key, ResultStatus.FAILURE, error=detail,
                                metadata=dict(metadata or {}))
        with self._lock:
            self._entries[key] = entry
        return entry

    def lookup(self, key: str) -> Materialization | None:
        """The outcome for ``key``: in process first, then (``read_through``) ``results``."""
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None or not self.read_through or self.results is None:
            return entry
        record = self.results.get_record(key)
        if record is None:
            return None
        entry = _from_record(record)
        with self._lock:
            return self._entries.setdefault(key, entry)

    def get(self, key: str) -> Any:
        """The value of a successful ``key``; ``NotFound`` when it is unknown or failed."""
        entry = self.lookup(key)
        if entry is None:
            raise NotFound("materialization", key)
        if not entry.ok:
            assert entry.error is not None
            raise NotFound("materialization", key,
                           f"materialization {key!r} failed: {entry.error.type}: "
                           f"{entry.error.message}")
        return entry.value

    def has(self, key: str) -> bool:
        """True when ``key`` has an outcome (success or failure), read through if allowed."""
        return self.lookup(key) is not None

    def failures(self) -> dict[str, ResultError]:
        """The failures known in process, by key."""
        with self._lock:
            return {k: e.error for k, e in self._entries.items() if e.error is not None}

    def keys(self) -> list[str]:
        """Keys known in process, in the order they were first seen."""
        with self._lock:
            return list(self._entries)

    def discard(self, key: str) -> None:
        """Forget ``key`` in process only (the results database is left as it is)."""
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        """Forget everything in process only."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.has(key)


def _from_record(record: ResultRecord) -> Materialization:
    if record.ok:
        return Materialization(record.key, ResultStatus.SUCCESS, value=record.value,
                               metadata=record.metadata, source="results")
    return Materialization(record.key, ResultStatus.FAILURE, error=record.error,
                           metadata=record.metadata, source="results")
