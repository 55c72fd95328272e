"""Tables of the workflows repository."""

from __future__ import annotations

import sqlalchemy as sa

from runstore.backends.sql.schema.base import TABLE_OPTIONS, metadata
from runstore.backends.sql.schema.types import IdText, JsonText, UtcDateTime

__all__ = ["workflow_heads", "workflows"]

workflows = sa.Table(
    "workflows",
    metadata,
    sa.Column("id", IdText, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("definition", JsonText, nullable=False),
    sa.Column("parent_version", sa.Integer, nullable=True),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("message", sa.Text, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    **TABLE_OPTIONS,
)

# The last version ever assigned per id, so deleted versions are never reused; its row
# is also what writers lock (FOR UPDATE) to serialize version assignment.
workflow_heads = sa.Table(
    "workflow_heads",
    metadata,
    sa.Column("id", IdText, primary_key=True),
    sa.Column("last_version", sa.Integer, nullable=False),
    **TABLE_OPTIONS,
)
