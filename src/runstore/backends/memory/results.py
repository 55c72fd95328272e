"""Results and definitions kept in memory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from runstore.backends._shared.results import (
    ResultCodec,
    check_content_hash,
    check_key,
    check_page,
    definition_hash,
)
from runstore.backends.memory.tables import MemoryTables
from runstore.backends.memory.transfer import MemoryDefinitionTransfer, MemoryResultTransfer
from runstore.errors import NotFound
from runstore.models.common import JsonObject, JsonValue, Page
from runstore.models.results import ResultError, ResultRecord

__all__ = ["MemoryDefinitionRepository", "MemoryResultRepository"]

_RESULTS = "results"
_DEFINITIONS = "result_definitions"


class MemoryResultRepository(MemoryResultTransfer):
    """Records keyed by result key, each stored with its inline bytes (if any)."""

    def __init__(self, tables: MemoryTables, codec: ResultCodec) -> None:
        self._tables = tables
        self._codec = codec

    def put_success(self, key: str, value: Any, *, serializer: str = "json",
                    metadata: JsonObject | None = None) -> ResultRecord:
        record, inline = self._codec.success(key, value, serializer, metadata)
        with self._tables.transaction():
            self._tables.put(_RESULTS, key, (record.model_copy(deep=True), inline))
        return record

    def put_failure(self, key: str, error: BaseException | str | ResultError, *,
                    metadata: JsonObject | None = None) -> ResultRecord:
        record = self._codec.failure(key, error, metadata)
        with self._tables.transaction():
            self._tables.put(_RESULTS, key, (record, None))
        return record

    def get_record(self, key: str) -> ResultRecord | None:
        check_key(key)
        with self._tables.lock:
            found = self._tables.table(_RESULTS).get(key)
        if found is None:
            return None
        record, inline = found
        return self._codec.attach(record.model_copy(deep=True), inline)

    def has(self, key: str) -> bool:
        check_key(key)
        with self._tables.lock:
            return key in self._tables.table(_RESULTS)

    def delete(self, key: str) -> None:
        check_key(key)
        with self._tables.transaction():
            if key not in self._tables.table(_RESULTS):
                raise NotFound("result", key)
            self._tables.delete(_RESULTS, key)

    def clear(self) -> None:
        with self._tables.transaction():
            for key in list(self._tables.table(_RESULTS)):
                self._tables.delete(_RESULTS, key)

    def query(self, *, prefix: str | None = None, limit: int = 100,
              cursor: str | None = None) -> Page[ResultRecord]:
        check_page(prefix, limit, cursor)
        with self._tables.lock:
            stored: list[str] = list(self._tables.table(_RESULTS))  # type: ignore[arg-type]
            keys = sorted(k for k in stored if (prefix is None or k.startswith(prefix))
                          and (cursor is None or k > cursor))
            chosen = keys[:limit]
            rows = [self._tables.table(_RESULTS)[k] for k in chosen]
        items = [self._codec.attach(record.model_copy(deep=True), inline)
                 for record, inline in rows]
        more = len(keys) > limit
        return Page[ResultRecord](items=items, next_cursor=chosen[-1] if more else None)

    def count(self) -> int:
        with self._tables.lock:
            return len(self._tables.table(_RESULTS))

    def referenced_artifacts(self) -> Iterator[str]:
        with self._tables.lock:
            found = {record.artifact.sha256 for record, _ in self._tables.table(_RESULTS).values()
                     if record.artifact is not None}
        return iter(found)

    def close(self) -> None:
        """The data goes with the store."""


class MemoryDefinitionRepository(MemoryDefinitionTransfer):
    """Canonical JSON by content hash."""

    def __init__(self, tables: MemoryTables) -> None:
        self._tables = tables

    def put(self, definition: JsonValue) -> str:
        digest, body = definition_hash(definition)
        with self._tables.transaction():
            if digest not in self._tables.table(_DEFINITIONS):
                self._tables.put(_DEFINITIONS, digest, body)
        return digest

    def get(self, content_hash: str) -> JsonValue:
        check_content_hash(content_hash)
        with self._tables.lock:
            body = self._tables.table(_DEFINITIONS).get(content_hash)
        if body is None:
            raise NotFound("definition", content_hash)
        value: JsonValue = orjson.loads(body)
        return value

    def has(self, content_hash: str) -> bool:
        check_content_hash(content_hash)
        with self._tables.lock:
            return content_hash in self._tables.table(_DEFINITIONS)
