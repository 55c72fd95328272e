"""The SQL schema: one MetaData for every dialect, one module per repository."""

from runstore.backends.sql.schema.base import (
    REVISIONS,
    SCHEMA_HEAD,
    VERSION_TABLE,
    metadata,
    version_table,
)
from runstore.backends.sql.schema.conversations import (
    conversation_attachments,
    conversation_messages,
    conversations,
)
from runstore.backends.sql.schema.logs import log_events, log_records, log_runs
from runstore.backends.sql.schema.metrics import metric_aggregates, metric_patterns
from runstore.backends.sql.schema.results import result_definitions, results
from runstore.backends.sql.schema.runs import attempts, runs, task_dependencies, tasks
from runstore.backends.sql.schema.workflows import workflow_heads, workflows

__all__ = [
    "REVISIONS",
    "SCHEMA_HEAD",
    "VERSION_TABLE",
    "attempts",
    "conversation_attachments",
    "conversation_messages",
    "conversations",
    "log_events",
    "log_records",
    "log_runs",
    "metadata",
    "metric_aggregates",
    "metric_patterns",
    "result_definitions",
    "results",
    "runs",
    "task_dependencies",
    "tasks",
    "version_table",
    "workflow_heads",
    "workflows",
]
