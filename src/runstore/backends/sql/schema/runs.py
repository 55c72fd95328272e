"""Tables of the runs repository.

``runs``, ``tasks`` and ``attempts`` hold the records; ``task_dependencies`` keeps each
dependency as a pair of task ids, so a claim finds "ready, and every dependency
succeeded" with one indexed ``NOT EXISTS``. A task row carries its current lease
(``worker_id``, ``lease_expires_at``) so expired leases are found by index too. No
foreign keys: the rules are enforced in the repository, the same on every dialect.
"""

from __future__ import annotations

import sqlalchemy as sa

from runstore.backends.sql.schema.base import TABLE_OPTIONS, metadata
from runstore.backends.sql.schema.types import IdText, JsonText, UtcDateTime

__all__ = ["attempts", "runs", "task_dependencies", "tasks"]

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", IdText, primary_key=True),
    sa.Column("workflow_id", IdText, nullable=False),
    sa.Column("workflow_version", sa.Integer, nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("status_reason", sa.Text, nullable=True),
    sa.Column("metadata", JsonText, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("started_at", UtcDateTime, nullable=True),
    sa.Column("finished_at", UtcDateTime, nullable=True),
    # list_runs(): newest first (by id), by workflow and/or status.
    sa.Index("ix_runs_workflow", "workflow_id", "id"),
    sa.Index("ix_runs_status", "status", "id"),
    **TABLE_OPTIONS,
)

tasks = sa.Table(
    "tasks",
    metadata,
    sa.Column("id", IdText, primary_key=True),
    sa.Column("run_id", IdText, nullable=False),
    sa.Column("name", IdText, nullable=False),
    sa.Column("kind", IdText, nullable=False),
    sa.Column("depends_on", JsonText, nullable=False),
    sa.Column("spec", JsonText, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("current_attempt_id", IdText, nullable=True),
    sa.Column("worker_id", sa.String(128), nullable=True),
    sa.Column("lease_expires_at", UtcDateTime, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("started_at", UtcDateTime, nullable=True),
    sa.Column("finished_at", UtcDateTime, nullable=True),
    # get_tasks() and names unique per run; claims by status (optionally in one run).
    sa.Index("ix_tasks_run_name", "run_id", "name", unique=True),
    sa.Index("ix_tasks_status", "status", "id"),
    sa.Index("ix_tasks_run_status", "run_id", "status", "id"),
    **TABLE_OPTIONS,
)

task_dependencies = sa.Table(
    "task_dependencies",
    metadata,
    sa.Column("task_id", IdText, primary_key=True),
    sa.Column("depends_on_id", IdText, primary_key=True),
    # delete_task(): does anything depend on this task?
    sa.Index("ix_task_dependencies_depends_on", "depends_on_id"),
    **TABLE_OPTIONS,
)

attempts = sa.Table(
    "attempts",
    metadata,
    sa.Column("id", IdText, primary_key=True),
    sa.Column("task_id", IdText, nullable=False),
    sa.Column("run_id", IdText, nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("executor", sa.String(255), nullable=True),
    sa.Column("external_id", sa.String(255), nullable=True),
    sa.Column("worker_id", sa.String(128), nullable=True),
    sa.Column("error", JsonText, nullable=True),
    sa.Column("outputs", JsonText, nullable=True),
    sa.Column("lease_expires_at", UtcDateTime, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("started_at", UtcDateTime, nullable=True),
    sa.Column("finished_at", UtcDateTime, nullable=True),
    # list_attempts() by number (unique per task); get_active_attempts() per run.
    sa.Index("ix_attempts_task_number", "task_id", "number", unique=True),
    sa.Index("ix_attempts_run_status", "run_id", "status"),
    **TABLE_OPTIONS,
)
