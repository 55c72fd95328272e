"""The transfer port of the memory backend's logs, metrics, results and definitions.

Each is a mixin over the repository's ``MemoryTables`` (``self._tables``): exports take
a sorted snapshot of the keys and read each batch under the lock; imports put the
records whose keys are absent in one transaction.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from typing import Any

import orjson
from pydantic import BaseModel

from runstore.backends._shared.log_transfer import LOG_RECORD_TYPES, new_events, run_event
from runstore.backends._shared.metric_transfer import (
    METRIC_RECORD_TYPES,
    aggregate_record,
    aggregate_text,
)
from runstore.backends._shared.result_transfer import (
    DEFINITION_RECORD_TYPES,
    RESULT_RECORD_TYPES,
    checked_definition,
    value_size,
)
from runstore.backends._shared.transfer import StreamedTransfer, as_records, check_record_type
from runstore.backends.memory.tables import MemoryTables
from runstore.models.logs import LogRecord
from runstore.models.metrics import Pattern
from runstore.models.transfer import MetricAggregate, RunLogEvent, StoredDefinition, StoredResult
from runstore.services.batches import batched, grouped

__all__ = ["MemoryDefinitionTransfer", "MemoryLogTransfer", "MemoryMetricsTransfer",
           "MemoryResultTransfer"]


def _rows(tables: MemoryTables, name: str,
          convert: Callable[[Any, Any], BaseModel]) -> Iterator[BaseModel]:
    """``convert(key, value)`` of every row of table ``name``, in key order."""
    with tables.lock:
        keys = sorted(tables.table(name))  # type: ignore[type-var]
    for start in range(0, len(keys), 1000):
        with tables.lock:
            table = tables.table(name)
            found = [convert(key, table[key]) for key in keys[start:start + 1000]
                     if key in table]
        yield from found


def _put_missing(tables: MemoryTables, name: str,
                 items: Iterable[tuple[Hashable, Any]]) -> int:
    written = 0
    with tables.transaction():
        table = tables.table(name)
        for key, value in items:
            if key not in table:
                tables.put(name, key, value)
                written += 1
    return written


class _MemoryTransfer(StreamedTransfer):
    _tables: MemoryTables


class MemoryLogTransfer(_MemoryTransfer):
    """``log_records`` and ``log_events`` (events read run by run, in ``seq`` order)."""

    def record_types(self) -> tuple[str, ...]:
        return LOG_RECORD_TYPES

    def _each(self, record_type: str) -> Iterator[BaseModel]:
        if record_type == "log_records":
            yield from _rows(self._tables, "log_records", lambda _, record: record)
            return
        with self._tables.lock:
            runs: builtins.list[tuple[str, tuple[int, int]]] = sorted(
                self._tables.table("log_runs").items())  # type: ignore[arg-type]
        for run_id, (last, _) in runs:
            for start in range(1, last + 1, 1000):
                with self._tables.lock:
                    events = self._tables.table("log_events")
                    found = [(seq, events.get((run_id, seq)))
                             for seq in range(start, min(last, start + 999) + 1)]
                yield from (run_event(run_id, event) for _, event in found if event is not None)

    def import_records(self, record_type: str, records: Sequence[BaseModel]) -> int:
        check_record_type(self, record_type)
        if record_type == "log_records":
            return _put_missing(self._tables, "log_records",
                                ((r.run_id, r) for r in as_records(LogRecord, records)))
        written = 0
        with self._tables.transaction():
            events = self._tables.table("log_events")
            for run_id, group in grouped(as_records(RunLogEvent, records),
                                         lambda e: e.run_id).items():
                present = {e.seq for e in group if (run_id, e.seq) in events}
                added = new_events(group, present)
                for event in added:
                    self._tables.put("log_events", (run_id, event.seq), event.event())
                if added:
                    last, level = self._tables.table("log_runs").get(run_id, (0, 0))
                    self._tables.put("log_runs", run_id, (
                        max(last, added[-1].seq), max(level, *(e.level.rank for e in added))))
                written += len(added)
        return written


class MemoryMetricsTransfer(_MemoryTransfer):
    """``metric_aggregates`` (stored aggregates) and ``metric_patterns``."""

    def record_types(self) -> tuple[str, ...]:
        return METRIC_RECORD_TYPES

    def _each(self, record_type: str) -> Iterator[BaseModel]:
        if record_type == "metric_aggregates":
            yield from _rows(self._tables, "metric_aggregates",
                             lambda key, text: aggregate_record(key[0], key[1], key[2], text))
        else:
            yield from _rows(self._tables, "metric_patterns", lambda _, pattern: pattern)

    def import_records(self, record_type: str, records: Sequence[BaseModel]) -> int:
        check_record_type(self, record_type)
        if record_type == "metric_aggregates":
            return _put_missing(self._tables, "metric_aggregates", (
                ((r.workflow_id, r.workflow_version, r.bucket), aggregate_text(r))
                for r in as_records(MetricAggregate, records)))
        return _put_missing(self._tables, "metric_patterns",
                            ((p.id, p) for p in as_records(Pattern, records)))


class MemoryResultTransfer(_MemoryTransfer):
    """``results``: each record with its inline bytes."""

    def record_types(self) -> tuple[str, ...]:
        return RESULT_RECORD_TYPES

    def export_records(self, record_type: str, *,
                       batch_size: int = 1000) -> Iterator[builtins.list[BaseModel]]:
        check_record_type(self, record_type)
        records = (r for r in self._each(record_type) if isinstance(r, StoredResult))
        for batch in batched(records, batch_size, weight=value_size):
            yield builtins.list(batch)

    def _each(self, record_type: str) -> Iterator[BaseModel]:
        yield from _rows(self._tables, "results",
                         lambda _, stored: StoredResult.of(stored[0], stored[1]))

    def import_records(self, record_type: str, records: Sequence[BaseModel]) -> int:
        check_record_type(self, record_type)
        return _put_missing(self._tables, "results", (
            (r.key, (r.record(), r.value)) for r in as_records(StoredResult, records)))


class MemoryDefinitionTransfer(_MemoryTransfer):
    """``definitions``: canonical JSON by content hash."""

    def record_types(self) -> tuple[str, ...]:
        return DEFINITION_RECORD_TYPES

    def _each(self, record_type: str) -> Iterator[BaseModel]:
        yield from _rows(self._tables, "result_definitions", lambda key, body:
                         StoredDefinition.model_construct(content_hash=key,
                                                          definition=orjson.loads(body)))

    def import_records(self, record_type: str, records: Sequence[BaseModel]) -> int:
        check_record_type(self, record_type)
        return _put_missing(self._tables, "result_definitions", (
            (r.content_hash, checked_definition(r))
            for r in as_records(StoredDefinition, records)))
