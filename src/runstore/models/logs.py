"""Execution logs: append-only events per run, and one log record per finished run."""

from __future__ import annotations

import base64
import re
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

import orjson
from pydantic import Field, field_validator, model_validator

from runstore.errors import InvalidInput
from runstore.models.common import (
    ID_PATTERN,
    JsonObject,
    Record,
    canonical_json,
    ensure_utc,
    utcnow,
)

__all__ = [
    "LEVEL_RANKS",
    "LogEvent",
    "LogFilter",
    "LogLevel",
    "LogRecord",
    "RunLog",
    "decode_log_cursor",
    "encode_log_cursor",
]

STATUS_PATTERN: Final = r"^[a-z][a-z0-9_-]{0,31}$"
_TEXT_LIMIT: Final = 200


class LogLevel(StrEnum):
    """Severity of an event, lowest first."""

    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """10, 20, 30, 40, 50 like the ``logging`` module (stored in SQL as this number)."""
        return LEVEL_RANKS[self]

    @classmethod
    def from_rank(cls, rank: int) -> LogLevel:
        """The level stored as ``rank``."""
        return _BY_RANK[rank]


LEVEL_RANKS: Final[dict[LogLevel, int]] = {
    LogLevel.DEBUG: 10, LogLevel.INFO: 20, LogLevel.WARNING: 30,
    LogLevel.ERROR: 40, LogLevel.CRITICAL: 50,
}
_BY_RANK: Final = {rank: level for level, rank in LEVEL_RANKS.items()}


class LogEvent(Record):
    """One event of a run. ``seq`` is assigned by ``append`` (1, 2, 3... per run) and is
    ``None`` on an event that has not been stored yet."""

    ts: datetime = Field(default_factory=utcnow)
    level: LogLevel = LogLevel.INFO
    message: str = ""
    data: JsonObject = Field(default_factory=dict)
    task_id: str | None = Field(default=None, pattern=ID_PATTERN.pattern)
    attempt_id: str | None = Field(default=None, pattern=ID_PATTERN.pattern)
    kind: str | None = Field(default=None, max_length=64)
    seq: int | None = Field(default=None, ge=1)

    @field_validator("ts")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return ensure_utc(value)


class LogRecord(Record):
    """The summary of one run, written once by ``store_log``.

    The logs repository keeps its own copy of these fields, so it works when logs live
    on another backend than runs. ``duration_s`` defaults to ``finished_at - started_at``.
    """

    run_id: str = Field(pattern=ID_PATTERN.pattern)
    workflow_id: str = Field(pattern=ID_PATTERN.pattern)
    workflow_version: int | None = Field(default=None, ge=1)
    status: str = Field(pattern=STATUS_PATTERN)
    started_at: datetime
    finished_at: datetime | None = None
    duration_s: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    error: str | None = None
    attributes: JsonObject = Field(default_factory=dict)

    @field_validator("started_at", "finished_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else ensure_utc(value)

    @model_validator(mode="after")
    def _duration(self) -> LogRecord:
        canonical_json(self.attributes, what="attributes")
        if self.finished_at is not None and self.finished_at < self.started_at:
            raise ValueError("finished_at is before started_at")
        if self.duration_s is None and self.finished_at is not None:
            seconds = (self.finished_at - self.started_at).total_seconds()
            object.__setattr__(self, "duration_s", seconds)
        return self


class RunLog(Record):
    """What ``get_log`` returns: the run's record (``None`` while the run has not stored
    one yet) and its events in ``seq`` order."""

    run_id: str
    record: LogRecord | None
    events: list[LogEvent]


class LogFilter(Record):
    """Typed filters of ``logs.query``; every value is bound as a parameter.

    - ``workflow_id``, ``workflow_version``, ``status`` (one or several) match exactly.
    - ``started_after`` (inclusive) and ``started_before`` (exclusive) bound ``started_at``.
    - ``level``: only runs with at least one event at this level or above.
    - ``error_contains``: case-insensitive text in the error summary.
    - ``limit`` (1 to 1000) and ``cursor`` (from the previous page's ``next_cursor``).

    Results are newest first: ``started_at`` descending, then ``run_id`` descending.
    """

    workflow_id: str | None = Field(default=None, pattern=ID_PATTERN.pattern)
    workflow_version: int | None = Field(default=None, ge=1)
    status: list[str] | None = None
    started_after: datetime | None = None
    started_before: datetime | None = None
    level: LogLevel | None = None
    error_contains: str | None = Field(default=None, min_length=1, max_length=_TEXT_LIMIT)
    limit: int = Field(default=50, ge=1, le=1000)
    cursor: str | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _statuses(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [value]
        return value

    @field_validator("status")
    @classmethod
    def _check_statuses(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            if not value:
                raise ValueError("give at least one status, or None for any")
            for status in value:
                if not re.fullmatch(STATUS_PATTERN, status):
                    raise ValueError(f"invalid status {status!r}")
        return value

    @field_validator("started_after", "started_before")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else ensure_utc(value)

    @field_validator("cursor")
    @classmethod
    def _cursor(cls, value: str | None) -> str | None:
        if value is not None:
            decode_log_cursor(value)
        return value


def encode_log_cursor(record: LogRecord) -> str:
    """An opaque cursor positioned just after ``record`` in newest-first order."""
    raw = orjson.dumps([record.started_at.isoformat(), record.run_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_log_cursor(cursor: str) -> tuple[datetime, str]:
    """``(started_at, run_id)`` of the last record of the previous page."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        started, run_id = orjson.loads(raw)
        when = ensure_utc(datetime.fromisoformat(started))
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"invalid cursor {cursor[:40]!r}: pass a next_cursor unchanged") \
            from exc
    if not isinstance(run_id, str) or not ID_PATTERN.fullmatch(run_id):
        raise InvalidInput(f"invalid cursor {cursor[:40]!r}: pass a next_cursor unchanged")
    return when, run_id
