"""Tables of the logs repository.

``log_events`` is keyed ``(run_id, seq)``; ``log_runs`` holds each run's last ``seq``
and highest event level, and is the row appenders lock so two writers never get the
same ``seq``. ``log_records`` keeps its own copy of the run's fields (the runs
repository may live on another backend), indexed for every documented query.
"""

from __future__ import annotations

import sqlalchemy as sa

from runstore.backends.sql.schema.base import TABLE_OPTIONS, metadata
from runstore.backends.sql.schema.types import IdText, JsonText, UtcDateTime

__all__ = ["log_events", "log_records", "log_runs"]

log_events = sa.Table(
    "log_events",
    metadata,
    sa.Column("run_id", IdText, primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("ts", UtcDateTime, nullable=False),
    sa.Column("level", sa.SmallInteger, nullable=False),
    sa.Column("message", JsonText, nullable=False),
    sa.Column("data", JsonText, nullable=False),
    sa.Column("task_id", IdText, nullable=True),
    sa.Column("attempt_id", IdText, nullable=True),
    sa.Column("kind", sa.String(64), nullable=True),
    **TABLE_OPTIONS,
)

log_runs = sa.Table(
    "log_runs",
    metadata,
    sa.Column("run_id", IdText, primary_key=True),
    sa.Column("last_seq", sa.BigInteger, nullable=False),
    sa.Column("max_level", sa.SmallInteger, nullable=False),
    **TABLE_OPTIONS,
)

log_records = sa.Table(
    "log_records",
    metadata,
    sa.Column("run_id", IdText, primary_key=True),
    sa.Column("workflow_id", IdText, nullable=False),
    sa.Column("workflow_version", sa.Integer, nullable=True),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("finished_at", UtcDateTime, nullable=True),
    sa.Column("duration_s", sa.Double, nullable=True),
    sa.Column("error", JsonText, nullable=True),
    sa.Column("attributes", JsonText, nullable=False),
    # query(): newest first, by workflow / version / status / time; recent().
    sa.Index("ix_log_records_started", "started_at", "run_id"),
    sa.Index("ix_log_records_workflow", "workflow_id", "started_at", "run_id"),
    sa.Index("ix_log_records_workflow_version", "workflow_id", "workflow_version",
             "started_at", "run_id"),
    sa.Index("ix_log_records_workflow_status", "workflow_id", "status", "started_at", "run_id"),
    sa.Index("ix_log_records_status", "status", "started_at", "run_id"),
    **TABLE_OPTIONS,
)
