"""The metrics repository port: aggregates updated as executions are recorded."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any, Protocol

from runstore.models.metrics import (
    ExecutionMetric,
    MetricSummary,
    Pattern,
    TrendBucket,
    TrendPeriod,
)

__all__ = ["MetricsRepository"]


class MetricsRepository(Protocol):
    """Aggregated metrics per workflow and version, not raw logs.

    Each execution updates the stored aggregates in one write (per version: all time,
    and the execution's UTC day); concurrent recorders never lose a count.
    """

    def record_execution(self, metric: ExecutionMetric | Mapping[str, Any]) -> None:
        """Count one finished execution into the aggregates."""
        ...

    def get_summary(self, workflow_id: str, version: int | None = None) -> MetricSummary:
        """Aggregates of one version, or of every version when ``version`` is ``None``;
        ``NotFound`` when nothing was recorded."""
        ...

    def get_trend(self, workflow_id: str, version: int | None = None,
                  bucket: TrendPeriod | str = "day") -> builtins.list[TrendBucket]:
        """One summary per ``day``, ``week`` or ``month`` (UTC), oldest first; buckets with
        no executions are left out."""
        ...

    def record_pattern(self, pattern: Pattern | Mapping[str, Any]) -> Pattern:
        """Store a finding about a workflow (its ``id`` is generated when not given);
        the same id twice is ``AlreadyExists``."""
        ...

    def get_patterns(self, workflow_id: str, kind: str | None = None) -> builtins.list[Pattern]:
        """The workflow's findings, newest first (optionally one ``kind``)."""
        ...
