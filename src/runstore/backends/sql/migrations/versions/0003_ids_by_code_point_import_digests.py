"""ids compared by code point, case kept; conversations' import digests

Revision ID: 0003
Revises: 0002

Id columns take the "C" collation on PostgreSQL and ``utf8mb4_bin`` on MySQL/MariaDB
(see ``IdText``). Before, MySQL/MariaDB's default collation folded case, so ids that
differ only in case were one key there; such rows cannot have been stored twice, so
nothing is merged here. SQLite and DuckDB compare bytes already: nothing to do.

On MySQL/MariaDB, tables that a database with another default character set made
(latin1, say) are first converted to utf8mb4, which every table now declares.

``conversations.import_digest`` (indexed) lets a re-import skip unchanged lines.
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa
from alembic import op

from runstore.backends.sql.schema.types import IdText

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

TABLES: Final = ("workflows", "workflow_heads", "runs", "tasks", "task_dependencies",
                 "attempts", "log_events", "log_runs", "log_records", "metric_aggregates",
                 "metric_patterns", "results", "result_definitions", "conversations",
                 "conversation_messages", "conversation_attachments")
# table -> (column, nullable), as revision 0002 left them.
ID_COLUMNS: Final = {
    "workflows": (("id", False),),
    "workflow_heads": (("id", False),),
    "runs": (("id", False), ("workflow_id", False)),
    "tasks": (("id", False), ("run_id", False), ("name", False), ("kind", False),
              ("current_attempt_id", True)),
    "task_dependencies": (("task_id", False), ("depends_on_id", False)),
    "attempts": (("id", False), ("task_id", False), ("run_id", False)),
    "log_events": (("run_id", False), ("task_id", True), ("attempt_id", True)),
    "log_runs": (("run_id", False),),
    "log_records": (("run_id", False), ("workflow_id", False)),
    "metric_aggregates": (("workflow_id", False),),
    "metric_patterns": (("id", False), ("workflow_id", False)),
    "conversations": (("id", False), ("run_id", True)),
    "conversation_messages": (("conversation_id", False), ("id", False)),
    "conversation_attachments": (("conversation_id", False), ("id", False),
                                 ("message_id", True)),
}


def _utf8mb4() -> None:
    """MySQL/MariaDB: convert to utf8mb4 the tables made in another character set."""
    if op.get_context().dialect.name not in {"mysql", "mariadb"}:
        return
    collations: dict[str, str] = dict(op.get_bind().execute(sa.text(
        "SELECT table_name, table_collation FROM information_schema.tables "
        "WHERE table_schema = DATABASE()")).all())
    for table in TABLES:
        if not str(collations.get(table, "utf8mb4")).startswith("utf8mb4"):
            op.execute(f"ALTER TABLE {table} CONVERT TO CHARACTER SET utf8mb4")


def _alter(new_type: sa.types.TypeEngine[str]) -> None:
    if op.get_context().dialect.name not in {"postgresql", "mysql", "mariadb"}:
        return
    for table, columns in ID_COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column, nullable in columns:
                batch.alter_column(column, type_=new_type, existing_type=sa.String(128),
                                   existing_nullable=nullable)


def upgrade() -> None:
    _utf8mb4()
    _alter(IdText)
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("import_digest", sa.String(64), nullable=True))
        batch.create_index("ix_conversations_import_digest", ["import_digest"])


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_index("ix_conversations_import_digest")
        batch.drop_column("import_digest")
    _alter(sa.String(128))
