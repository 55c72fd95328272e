"""The SQL schema: one MetaData for every dialect, one module per repository."""

from runstore.backends.sql.schema.base import (
    REVISIONS,
    SCHEMA_HEAD,
    VERSION_TABLE,
    metadata,
    version_table,
)
from runstore.backends.sql.schema.workflows import workflow_heads, workflows

__all__ = [
    "REVISIONS",
    "SCHEMA_HEAD",
    "VERSION_TABLE",
    "metadata",
    "version_table",
    "workflow_heads",
    "workflows",
]
