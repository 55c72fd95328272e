"""Execution metrics: what is recorded per execution, and the aggregates read back."""

from __future__ import annotations

import math
import re
from datetime import datetime
from enum import StrEnum
from typing import Final

from pydantic import Field, field_validator

from runstore.models.common import (
    ID_PATTERN,
    JsonObject,
    Record,
    canonical_json,
    ensure_utc,
    new_id,
    utcnow,
)

__all__ = [
    "ExecutionMetric",
    "MetricSummary",
    "Pattern",
    "TrendBucket",
    "TrendPeriod",
    "ValueSummary",
]

VALUE_NAME_PATTERN: Final = r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$"
MAX_VALUES: Final = 64


class ExecutionMetric(Record):
    """One finished execution, as ``metrics.record_execution`` takes it.

    ``values`` holds any custom numbers (cost, tokens, rows...), summed per name.
    """

    workflow_id: str = Field(pattern=ID_PATTERN.pattern)
    workflow_version: int = Field(ge=1)
    run_id: str = Field(pattern=ID_PATTERN.pattern)
    success: bool
    duration_s: float = Field(ge=0, allow_inf_nan=False)
    finished_at: datetime = Field(default_factory=utcnow)
    values: dict[str, float] = Field(default_factory=dict, max_length=MAX_VALUES)

    @field_validator("finished_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return ensure_utc(value)

    @field_validator("values")
    @classmethod
    def _values(cls, value: dict[str, float]) -> dict[str, float]:
        for name, number in value.items():
            if not re.fullmatch(VALUE_NAME_PATTERN, name):
                raise ValueError(f"invalid value name {name!r}: use letters, digits, '_.-'")
            if not math.isfinite(number):
                raise ValueError(f"value {name!r} is {number}, not a finite number")
        return value


class ValueSummary(Record):
    """Aggregates of one custom value over the executions that reported it."""

    count: int
    sum: float
    mean: float
    min: float
    max: float


class MetricSummary(Record):
    """Aggregates of a workflow (one version, or all of them when ``workflow_version`` is
    ``None``). Durations are in seconds; ``duration_p50``/``duration_p95`` come from a
    mergeable sketch with at most 1% relative error, and ``duration_histogram`` holds
    ``(low, high, count)`` ranges of equal width on a log scale."""

    workflow_id: str
    workflow_version: int | None
    count: int
    successes: int
    failures: int
    success_rate: float
    duration_min: float
    duration_mean: float
    duration_max: float
    duration_p50: float
    duration_p95: float
    values: dict[str, ValueSummary] = Field(default_factory=dict)
    duration_histogram: list[tuple[float, float, int]] = Field(default_factory=list)
    first_finished_at: datetime | None = None
    last_finished_at: datetime | None = None


class TrendPeriod(StrEnum):
    """Width of a trend bucket (UTC calendar: weeks start on Monday)."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class TrendBucket(Record):
    """The summary of the executions that finished in ``[start, end)``."""

    start: datetime
    end: datetime
    summary: MetricSummary


class Pattern(Record):
    """A structured finding about a workflow (a slow step, a recurring error...)."""

    id: str = Field(default_factory=lambda: new_id("pat-"), pattern=ID_PATTERN.pattern)
    workflow_id: str = Field(pattern=ID_PATTERN.pattern)
    workflow_version: int | None = Field(default=None, ge=1)
    kind: str = Field(min_length=1, max_length=64)
    description: str = ""
    evidence: JsonObject = Field(default_factory=dict)
    confidence: float = Field(ge=0, le=1, allow_inf_nan=False)
    detected_at: datetime = Field(default_factory=utcnow)

    @field_validator("detected_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return ensure_utc(value)

    @field_validator("evidence")
    @classmethod
    def _plain(cls, value: JsonObject) -> JsonObject:
        canonical_json(value, what="evidence")
        return value
