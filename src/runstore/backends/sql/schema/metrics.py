"""Tables of the metrics repository.

``metric_aggregates`` holds one row per ``(workflow, version, bucket)``: the bucket is
``'all'`` or a UTC day ``'YYYY-MM-DD'``; ``data`` is the aggregate as JSON (counts,
duration statistics, the percentile sketch, custom value sums). Writers lock the row
(FOR UPDATE) and rewrite it in the transaction that records the execution.
"""

from __future__ import annotations

import sqlalchemy as sa

from runstore.backends.sql.schema.base import TABLE_OPTIONS, metadata
from runstore.backends.sql.schema.types import IdText, JsonText, UtcDateTime

__all__ = ["metric_aggregates", "metric_patterns"]

metric_aggregates = sa.Table(
    "metric_aggregates",
    metadata,
    sa.Column("workflow_id", IdText, primary_key=True),
    sa.Column("workflow_version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("bucket", sa.String(16), primary_key=True),
    sa.Column("count", sa.BigInteger, nullable=False),
    sa.Column("data", JsonText, nullable=False),
    **TABLE_OPTIONS,
)

metric_patterns = sa.Table(
    "metric_patterns",
    metadata,
    sa.Column("id", IdText, primary_key=True),
    sa.Column("workflow_id", IdText, nullable=False),
    sa.Column("workflow_version", sa.Integer, nullable=True),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("description", JsonText, nullable=False),
    sa.Column("evidence", JsonText, nullable=False),
    sa.Column("confidence", sa.Double, nullable=False),
    sa.Column("detected_at", UtcDateTime, nullable=False),
    sa.Index("ix_metric_patterns_workflow", "workflow_id", "detected_at"),
    **TABLE_OPTIONS,
)
