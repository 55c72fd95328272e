"""Metrics kept in memory."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any

from runstore.backends._shared.metrics import (
    as_metric,
    as_pattern,
    bucket_keys,
    check_version,
    check_workflow,
    dump_aggregate,
    load_aggregate,
    summary_of,
    trend_of,
)
from runstore.backends.memory.tables import MemoryTables
from runstore.backends.memory.transfer import MemoryMetricsTransfer
from runstore.errors import AlreadyExists
from runstore.models.metrics import ExecutionMetric, MetricSummary, Pattern, TrendBucket
from runstore.services.metrics import ALL, Aggregate

__all__ = ["MemoryMetricsRepository"]

_AGGREGATES = "metric_aggregates"  # (workflow_id, version, bucket) -> JSON text
_PATTERNS = "metric_patterns"  # pattern id -> Pattern


class MemoryMetricsRepository(MemoryMetricsTransfer):
    """Aggregates stored as JSON text (immutable values for the undo log)."""

    def __init__(self, tables: MemoryTables) -> None:
        self._tables = tables

    def record_execution(self, metric: ExecutionMetric | Mapping[str, Any]) -> None:
        execution = as_metric(metric)
        with self._tables.transaction():
            table = self._tables.table(_AGGREGATES)
            for bucket in bucket_keys(execution):
                key = (execution.workflow_id, execution.workflow_version, bucket)
                stored = table.get(key)
                aggregate = Aggregate() if stored is None else load_aggregate(stored, str(key))
                aggregate.add(execution)
                self._tables.put(_AGGREGATES, key, dump_aggregate(aggregate))

    def get_summary(self, workflow_id: str, version: int | None = None) -> MetricSummary:
        return summary_of(workflow_id, version,
                          (agg for _, agg in self._select(workflow_id, version, ALL)))

    def get_trend(self, workflow_id: str, version: int | None = None,
                  bucket: str = "day") -> builtins.list[TrendBucket]:
        return trend_of(workflow_id, version, self._select(workflow_id, version, None), bucket)

    def record_pattern(self, pattern: Pattern | Mapping[str, Any]) -> Pattern:
        stored = as_pattern(pattern)
        with self._tables.transaction():
            if stored.id in self._tables.table(_PATTERNS):
                raise AlreadyExists("pattern", stored.id)
            self._tables.put(_PATTERNS, stored.id, stored)
        return stored

    def get_patterns(self, workflow_id: str, kind: str | None = None) -> builtins.list[Pattern]:
        check_workflow(workflow_id)
        with self._tables.lock:
            found = [p for p in self._tables.table(_PATTERNS).values()
                     if p.workflow_id == workflow_id and (kind is None or p.kind == kind)]
        return sorted(found, key=lambda p: (p.detected_at, p.id), reverse=True)

    def _select(self, workflow_id: str, version: int | None,
                bucket: str | None) -> builtins.list[tuple[str, Aggregate]]:
        """``(bucket, aggregate)`` of one bucket (``ALL``) or of every day."""
        check_workflow(workflow_id)
        check_version(version)
        with self._tables.lock:
            items: builtins.list[tuple[tuple[str, int, str], str]] = list(
                self._tables.table(_AGGREGATES).items())  # type: ignore[arg-type]
        return [(key[2], load_aggregate(text, str(key))) for key, text in items
                if key[0] == workflow_id and (version is None or key[1] == version)
                and (key[2] == ALL if bucket == ALL else key[2] != ALL)]
