"""Backend-independent rules of the metrics repository."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from runstore.errors import CorruptRecord, InvalidInput, NotFound
from runstore.models.common import coerce, validate_id
from runstore.models.metrics import ExecutionMetric, MetricSummary, Pattern, TrendBucket
from runstore.services.metrics import ALL, Aggregate, day_key, summarize, trend

__all__ = [
    "as_metric",
    "as_pattern",
    "bucket_keys",
    "check_version",
    "check_workflow",
    "dump_aggregate",
    "load_aggregate",
    "summary_of",
    "trend_of",
]


def as_metric(metric: object) -> ExecutionMetric:
    """An ``ExecutionMetric`` from a model or a dict."""
    return coerce(ExecutionMetric, metric, what="execution metric")  # type: ignore[arg-type]


def as_pattern(pattern: object) -> Pattern:
    """A ``Pattern`` from a model or a dict."""
    return coerce(Pattern, pattern, what="pattern")  # type: ignore[arg-type]


def check_version(version: object) -> int | None:
    """A workflow version filter: ``None`` or an int >= 1."""
    if version is None:
        return None
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InvalidInput(f"workflow version must be a positive int or None, not {version!r}")
    return version


def check_workflow(workflow_id: object) -> str:
    """A valid workflow id."""
    return validate_id(workflow_id, what="workflow id")


def bucket_keys(metric: ExecutionMetric) -> list[str]:
    """The aggregates one execution updates, in the order writers lock them."""
    return sorted([ALL, day_key(metric.finished_at)])


def dump_aggregate(aggregate: Aggregate) -> str:
    """Stored form of an aggregate (JSON text)."""
    return orjson.dumps(aggregate.to_dict()).decode()


def load_aggregate(text: str | bytes, where: str) -> Aggregate:
    """Read a stored aggregate; ``InvalidInput`` from damage becomes a clear message."""
    try:
        data: Any = orjson.loads(text)
        return Aggregate.from_dict(data)
    except (orjson.JSONDecodeError, InvalidInput) as exc:
        raise CorruptRecord(where, f"unreadable metrics aggregate ({exc})") from exc


def summary_of(workflow_id: str, version: int | None,
               aggregates: Iterable[Aggregate]) -> MetricSummary:
    """The summary over ``aggregates``; ``NotFound`` when there are none."""
    found = list(aggregates)
    if not found:
        what = f"workflow {workflow_id!r}" + ("" if version is None else f" version {version}")
        raise NotFound("metrics", (workflow_id, version), f"no executions recorded for {what}")
    return summarize(workflow_id, version, found)


def trend_of(workflow_id: str, version: int | None, daily: Iterable[tuple[str, Aggregate]],
             bucket: object) -> list[TrendBucket]:
    """Trend buckets from daily aggregates."""
    if not isinstance(bucket, str):
        raise InvalidInput(f"bucket must be 'day', 'week' or 'month', not {bucket!r}")
    return trend(workflow_id, version, daily, bucket)
