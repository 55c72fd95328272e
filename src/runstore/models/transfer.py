"""Records that exist for data mobility: what ``copy``, ``verify`` and ``export`` move
when a repository's public records do not carry everything that is stored.

- :class:`RunLogEvent`: a stored log event with its run (``LogEvent`` leaves it implicit).
- :class:`MetricAggregate`: one stored aggregate of the metrics repository (counts,
  duration statistics, the percentile sketch, value sums) for ``(workflow, version,
  bucket)``, so a copy answers ``get_summary`` and ``get_trend`` exactly as the source.
- :class:`StoredResult`: a cached result with its inline encoded value (a large value is
  in the artifact store and the record keeps its ref).
- :class:`StoredDefinition`: an immutable definition and its content hash.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field, JsonValue, field_validator

from runstore.models.artifacts import ArtifactRef
from runstore.models.common import ID_PATTERN, JsonObject, Record, ensure_utc
from runstore.models.logs import LogEvent
from runstore.models.results import ResultError, ResultRecord, ResultStatus

__all__ = ["MetricAggregate", "RunLogEvent", "StoredDefinition", "StoredResult"]

_HASH = r"^[0-9a-f]{64}$"


class RunLogEvent(LogEvent):
    """A stored event of run ``run_id``; ``(run_id, seq)`` is its key."""

    run_id: str = Field(pattern=ID_PATTERN.pattern)
    seq: int = Field(ge=1)

    def event(self) -> LogEvent:
        """The event as ``get_log`` returns it (without ``run_id``)."""
        return LogEvent.model_construct(**self.model_dump(exclude={"run_id"}))


class MetricAggregate(Record):
    """The stored aggregate of one workflow version over one bucket: ``"all"`` or a UTC
    day ``YYYY-MM-DD``. ``data`` is the aggregate's stored form and ``count`` its number
    of executions (repeated for readable exports)."""

    workflow_id: str = Field(pattern=ID_PATTERN.pattern)
    workflow_version: int = Field(ge=1)
    bucket: str = Field(pattern=r"^(all|[0-9]{4}-[0-9]{2}-[0-9]{2})$")
    count: int = Field(ge=0)
    data: JsonObject


class StoredResult(Record):
    """A cached result as stored: the fields of :class:`ResultRecord` and ``value``,
    the encoded bytes kept inline (``None`` for a failure or a value in artifacts)."""

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_bytes="base64",
                              val_json_bytes="base64")

    key: str = Field(min_length=1)
    status: ResultStatus
    serializer: str | None = None
    size: int = Field(default=0, ge=0)
    content_hash: str | None = Field(default=None, pattern=_HASH)
    artifact: ArtifactRef | None = None
    error: ResultError | None = None
    metadata: JsonObject = Field(default_factory=dict)
    created_at: datetime
    value: bytes | None = None

    @field_validator("created_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return ensure_utc(value)

    @classmethod
    def of(cls, record: ResultRecord, value: bytes | None) -> StoredResult:
        """From a record read back from storage and its inline bytes (trusted: no checks)."""
        fields: dict[str, Any] = {name: getattr(record, name) for name in ResultRecord.model_fields}
        return cls.model_construct(**fields, value=None if value is None else bytes(value))

    def record(self) -> ResultRecord:
        """The :class:`ResultRecord` (without a value loader: backends attach theirs)."""
        fields = self.model_dump(exclude={"value"})
        return ResultRecord.model_validate(fields)


class StoredDefinition(Record):
    """An immutable definition and the sha256 of its canonical JSON."""

    content_hash: str = Field(pattern=_HASH)
    definition: JsonValue
