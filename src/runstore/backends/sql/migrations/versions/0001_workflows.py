"""Workflows: versioned definitions and the per-id version counter.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from runstore.backends.sql.schema.types import JsonText, UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workflows",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("definition", JsonText, nullable=False),
        sa.Column("parent_version", sa.Integer, nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("message", sa.Text, nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", "version", name="pk_workflows"),
    )
    op.create_table(
        "workflow_heads",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("last_version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_workflow_heads"),
    )


def downgrade() -> None:
    op.drop_table("workflow_heads")
    op.drop_table("workflows")
