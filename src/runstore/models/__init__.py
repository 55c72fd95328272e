"""Records: pydantic models, enums and filters. Pure data, no I/O."""

from runstore.models.artifacts import ArtifactRef
from runstore.models.common import JsonObject, JsonValue, Page, canonical_json, content_hash
from runstore.models.conversations import Attachment, ContentPart, Conversation, Message
from runstore.models.logs import LogEvent, LogFilter, LogLevel, LogRecord, RunLog
from runstore.models.metrics import (
    ExecutionMetric,
    MetricSummary,
    Pattern,
    TrendBucket,
    TrendPeriod,
    ValueSummary,
)
from runstore.models.results import ResultError, ResultRecord, ResultStatus
from runstore.models.runs import Attempt, Claim, Run, RunStatus, Task, TaskSpec
from runstore.models.workflows import Workflow

__all__ = [
    "ArtifactRef",
    "Attachment",
    "Attempt",
    "Claim",
    "ContentPart",
    "Conversation",
    "ExecutionMetric",
    "JsonObject",
    "JsonValue",
    "LogEvent",
    "LogFilter",
    "LogLevel",
    "LogRecord",
    "Message",
    "MetricSummary",
    "Page",
    "Pattern",
    "ResultError",
    "ResultRecord",
    "ResultStatus",
    "Run",
    "RunLog",
    "RunStatus",
    "Task",
    "TaskSpec",
    "TrendBucket",
    "TrendPeriod",
    "ValueSummary",
    "Workflow",
    "canonical_json",
    "content_hash",
]
