"""Metrics math, independent of any backend: incremental aggregates and trend buckets.

Each backend keeps one :class:`Aggregate` per ``(workflow, version, bucket)``, where the
bucket is ``"all"`` or a UTC day (``"2025-10-09"``), and updates it inside the same write
transaction that records an execution. Summaries over several versions, and weekly or
monthly trends, merge stored aggregates; nothing rereads individual executions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, Self

from runstore.errors import InvalidInput
from runstore.models.metrics import (
    ExecutionMetric,
    MetricSummary,
    TrendBucket,
    TrendPeriod,
    ValueSummary,
)
from runstore.services.sketch import QuantileSketch

__all__ = ["ALL", "Aggregate", "day_key", "summarize", "trend"]

ALL: Final = "all"


def day_key(moment: datetime) -> str:
    """The daily bucket of a UTC instant: ``YYYY-MM-DD``."""
    return moment.astimezone(UTC).date().isoformat()


class Aggregate:
    """Counts, duration statistics, a duration sketch and per-value sums."""

    __slots__ = ("count", "duration_max", "duration_min", "duration_sum", "failures", "first",
                 "last", "sketch", "successes", "values")

    def __init__(self) -> None:
        self.count = 0
        self.successes = 0
        self.failures = 0
        self.duration_sum = 0.0
        self.duration_min = math.inf
        self.duration_max = -math.inf
        self.sketch = QuantileSketch()
        # name -> [count, sum, min, max]
        self.values: dict[str, list[float]] = {}
        self.first: datetime | None = None
        self.last: datetime | None = None

    def add(self, metric: ExecutionMetric) -> None:
        """Count one execution."""
        self.count += 1
        if metric.success:
            self.successes += 1
        else:
            self.failures += 1
        self.duration_sum += metric.duration_s
        self.duration_min = min(self.duration_min, metric.duration_s)
        self.duration_max = max(self.duration_max, metric.duration_s)
        self.sketch.add(metric.duration_s)
        for name, number in metric.values.items():
            stats = self.values.get(name)
            if stats is None:
                self.values[name] = [1, number, number, number]
            else:
                stats[0] += 1
                stats[1] += number
                stats[2] = min(stats[2], number)
                stats[3] = max(stats[3], number)
        self.first = metric.finished_at if self.first is None else min(self.first,
                                                                        metric.finished_at)
        self.last = metric.finished_at if self.last is None else max(self.last,
                                                                      metric.finished_at)

    def merge(self, other: Aggregate) -> None:
        """Add ``other`` into this aggregate."""
        self.count += other.count
        self.successes += other.successes
        self.failures += other.failures
        self.duration_sum += other.duration_sum
        self.duration_min = min(self.duration_min, other.duration_min)
        self.duration_max = max(self.duration_max, other.duration_max)
        self.sketch.merge(other.sketch)
        for name, (count, total, low, high) in other.values.items():
            stats = self.values.get(name)
            if stats is None:
                self.values[name] = [count, total, low, high]
            else:
                self.values[name] = [stats[0] + count, stats[1] + total, min(stats[2], low),
                                     max(stats[3], high)]
        for moment in (other.first, other.last):
            if moment is not None:
                self.first = moment if self.first is None else min(self.first, moment)
                self.last = moment if self.last is None else max(self.last, moment)

    def summary(self, workflow_id: str, workflow_version: int | None) -> MetricSummary:
        """The public summary of this aggregate."""
        empty = self.count == 0
        return MetricSummary(
            workflow_id=workflow_id,
            workflow_version=workflow_version,
            count=self.count,
            successes=self.successes,
            failures=self.failures,
            success_rate=0.0 if empty else self.successes / self.count,
            duration_min=0.0 if empty else self.duration_min,
            duration_mean=0.0 if empty else self.duration_sum / self.count,
            duration_max=0.0 if empty else self.duration_max,
            duration_p50=self.sketch.quantile(0.5) or 0.0,
            duration_p95=self.sketch.quantile(0.95) or 0.0,
            values={
                name: ValueSummary(count=int(count), sum=total, mean=total / count, min=low,
                                   max=high)
                for name, (count, total, low, high) in sorted(self.values.items())
            },
            duration_histogram=self.sketch.histogram(),
            first_finished_at=self.first,
            last_finished_at=self.last,
        )

    # -- storage ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (what backends store)."""
        return {
            "count": self.count, "successes": self.successes, "failures": self.failures,
            "duration_sum": self.duration_sum,
            "duration_min": self.duration_min if self.count else None,
            "duration_max": self.duration_max if self.count else None,
            "sketch": self.sketch.to_dict(), "values": self.values,
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Rebuild an aggregate written by :meth:`to_dict`."""
        aggregate = cls()
        try:
            aggregate.count = int(data["count"])
            aggregate.successes = int(data["successes"])
            aggregate.failures = int(data["failures"])
            aggregate.duration_sum = float(data["duration_sum"])
            if aggregate.count:
                aggregate.duration_min = float(data["duration_min"])
                aggregate.duration_max = float(data["duration_max"])
            aggregate.sketch = QuantileSketch.from_dict(data["sketch"])
            aggregate.values = {str(k): [float(x) for x in v] for k, v in data["values"].items()}
            first, last = data.get("first"), data.get("last")
            aggregate.first = datetime.fromisoformat(first) if first else None
            aggregate.last = datetime.fromisoformat(last) if last else None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidInput(f"not a stored metrics aggregate: {exc}") from exc
        return aggregate


def summarize(workflow_id: str, workflow_version: int | None,
              aggregates: Iterable[Aggregate]) -> MetricSummary:
    """Merge ``aggregates`` (for example one per version) into one summary."""
    total = Aggregate()
    for aggregate in aggregates:
        total.merge(aggregate)
    return total.summary(workflow_id, workflow_version)


def _period_start(day: date, period: TrendPeriod) -> date:
    if period is TrendPeriod.WEEK:
        return day - timedelta(days=day.weekday())
    if period is TrendPeriod.MONTH:
        return day.replace(day=1)
    return day


def _period_end(start: date, period: TrendPeriod) -> date:
    if period is TrendPeriod.WEEK:
        return start + timedelta(days=7)
    if period is TrendPeriod.MONTH:
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)


def trend(workflow_id: str, workflow_version: int | None,
          daily: Iterable[tuple[str, Aggregate]], bucket: str | TrendPeriod) -> list[TrendBucket]:
    """Group daily aggregates (``(YYYY-MM-DD, aggregate)`` pairs, any order, days may
    repeat across versions) into trend buckets, oldest first; empty buckets are left out."""
    try:
        period = TrendPeriod(bucket)
    except ValueError:
        raise InvalidInput(
            f"unknown trend bucket {bucket!r}; use one of: "
            + ", ".join(p.value for p in TrendPeriod)) from None
    grouped: dict[date, Aggregate] = {}
    for key, aggregate in daily:
        start = _period_start(date.fromisoformat(key), period)
        grouped.setdefault(start, Aggregate()).merge(aggregate)
    return [
        TrendBucket(
            start=datetime.combine(start, datetime.min.time(), UTC),
            end=datetime.combine(_period_end(start, period), datetime.min.time(), UTC),
            summary=grouped[start].summary(workflow_id, workflow_version),
        )
        for start in sorted(grouped)
    ]
