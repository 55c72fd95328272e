"""Tables of the conversations repository.

Messages and attachment records are keyed by ``(conversation_id, id)``; every row keeps
the sha256 of its content (``content_hash``) so upserts compare hashes and write only
what changed. There are no foreign keys (DuckDB cannot cascade or update referenced
rows): the repository checks parents and deletes children in the same transaction.
"""

from __future__ import annotations

import sqlalchemy as sa

from runstore.backends.sql.schema.base import TABLE_OPTIONS, metadata
from runstore.backends.sql.schema.types import IdText, JsonText, UtcDateTime

__all__ = ["conversation_attachments", "conversation_messages", "conversations"]

conversations = sa.Table(
    "conversations",
    metadata,
    sa.Column("id", IdText, primary_key=True),
    sa.Column("source", sa.String(128), nullable=False),
    sa.Column("run_id", IdText, nullable=True),
    sa.Column("title", sa.Text, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("metadata", JsonText, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    # The digest of the import line this conversation has reflected since it was
    # imported, NULL once anything of it changed (see ports.conversations.ImportDigests).
    sa.Column("import_digest", sa.String(64), nullable=True),
    # list_conversations(): newest first, optionally by source or run.
    sa.Index("ix_conversations_created", "created_at", "id"),
    sa.Index("ix_conversations_source", "source", "created_at", "id"),
    sa.Index("ix_conversations_run", "run_id", "created_at", "id"),
    sa.Index("ix_conversations_import_digest", "import_digest"),
    **TABLE_OPTIONS,
)

conversation_messages = sa.Table(
    "conversation_messages",
    metadata,
    sa.Column("conversation_id", IdText, primary_key=True),
    sa.Column("id", IdText, primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("role", sa.String(64), nullable=False),
    sa.Column("content", JsonText, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=True),
    sa.Column("metadata", JsonText, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    # get_messages() / iter_messages(): position order within a conversation.
    sa.Index("ix_conversation_messages_position", "conversation_id", "position", "id"),
    **TABLE_OPTIONS,
)

conversation_attachments = sa.Table(
    "conversation_attachments",
    metadata,
    sa.Column("conversation_id", IdText, primary_key=True),
    sa.Column("id", IdText, primary_key=True),
    sa.Column("message_id", IdText, nullable=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("media_type", sa.String(255), nullable=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("metadata", JsonText, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    # Which records refer to a blob (before deleting it from the artifact store).
    sa.Index("ix_conversation_attachments_sha256", "sha256"),
    **TABLE_OPTIONS,
)
