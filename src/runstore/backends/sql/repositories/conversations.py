"""Conversations on SQL: headers, messages and attachment records, upserted by hash."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO, Final, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel

from runstore.backends._shared import conversations as rules
from runstore.backends._shared.conversations import ArtifactsGetter
from runstore.backends._shared.transfer import check_record_type
from runstore.backends.sql.repositories import conversation_rows as rows
from runstore.backends.sql.schema.conversations import (
    conversation_attachments,
    conversation_messages,
)
from runstore.backends.sql.schema.conversations import conversations as conversations_table
from runstore.backends.sql.transfer import count_rows, export_rows
from runstore.errors import AlreadyExists, Conflict
from runstore.models.common import Page, validate_id
from runstore.models.conversations import (
    Attachment,
    Conversation,
    Message,
    encode_conversation_cursor,
)

if TYPE_CHECKING:
    from runstore.backends.sql.backend import SqlBackend

__all__ = ["SqlConversationRepository"]

_ATTEMPTS: Final = 5
T = TypeVar("T")
_TABLES: Final[dict[str, tuple[sa.Table, Callable[[sa.Row[Any]], BaseModel]]]] = {
    "conversations": (conversations_table, rows.conversation_record),
    "conversation_messages": (conversation_messages, rows.message_record),
    "conversation_attachments": (conversation_attachments, rows.attachment_record),
}


class SqlConversationRepository:
    """``conversations``, ``conversation_messages`` and ``conversation_attachments``."""

    def __init__(self, backend: SqlBackend, artifacts: ArtifactsGetter) -> None:
        self._backend = backend
        self._artifacts = artifacts
        self._statistics = rows.Statistics()

    def save_conversation(self, conversation: Conversation | Mapping[str, Any]) -> bool:
        return self.save_conversations([conversation]) == 1

    def save_conversations(self, conversations: Iterable[Conversation | Mapping[str, Any]]
                           ) -> int:
        batch = rules.conversations_batch(conversations)
        if not len(batch):
            return 0

        def write(conn: sa.Connection) -> int:
            return rows.write(self._backend, conn, conversations_table,
                              rows.CONVERSATION_COLUMNS,
                              rows.changed_items(conn, conversations_table, batch),
                              rows.conversation_row, self._statistics)

        return self._retrying("conversations", write)

    def get_conversation(self, conversation_id: str) -> Conversation:
        validate_id(conversation_id, what="conversation id")
        with self._backend.connect(write=False) as conn:
            row = conn.execute(sa.select(conversations_table)
                               .where(conversations_table.c.id == conversation_id)).first()
        if row is None:
            raise rules.conversation_not_found(conversation_id)
        return rows.conversation_record(row)

    def list_conversations(self, *, source: str | None = None, run_id: str | None = None,
                           limit: int = 100, cursor: str | None = None) -> Page[Conversation]:
        after = rules.check_listing(source, run_id, limit, cursor)
        c = conversations_table.c
        query = sa.select(conversations_table)
        if source is not None:
            query = query.where(c.source == source)
        if run_id is not None:
            query = query.where(c.run_id == run_id)
        if after is not None:
            when, last_id = after
            query = query.where(sa.or_(c.created_at < when,
                                       sa.and_(c.created_at == when, c.id < last_id)))
        query = query.order_by(c.created_at.desc(), c.id.desc()).limit(limit + 1)
        with self._backend.connect(write=False) as conn:
            found = [rows.conversation_record(row) for row in conn.execute(query)]
        page = found[:limit]
        more = len(found) > limit
        return Page(items=page, next_cursor=encode_conversation_cursor(page[-1]) if more else None)

    def delete_conversation(self, conversation_id: str) -> None:
        validate_id(conversation_id, what="conversation id")
        with self._backend.connect() as conn:
            deleted = conn.execute(conversations_table.delete()
                                   .where(conversations_table.c.id == conversation_id)).rowcount
            if not deleted:
                raise rules.conversation_not_found(conversation_id)
            for table in (conversation_attachments, conversation_messages):
                conn.execute(table.delete().where(table.c.conversation_id == conversation_id))

    def save_messages(self, messages: Iterable[Message | Mapping[str, Any]]) -> int:
        batch = rules.messages_batch(messages)
        if not len(batch):
            return 0

        def write(conn: sa.Connection) -> int:
            imported = rows.require_conversations(conn, batch.parents)
            return rows.write(self._backend, conn, conversation_messages, rows.MESSAGE_COLUMNS,
                              rows.changed_items(conn, conversation_messages, batch),
                              rows.message_row, self._statistics, imported)

        return self._retrying("messages", write)

    def get_messages(self, conversation_id: str) -> builtins.list[Message]:
        return builtins.list(self.iter_messages(conversation_id))

    def iter_messages(self, conversation_id: str) -> Iterator[Message]:
        validate_id(conversation_id, what="conversation id")
        m = conversation_messages.c
        last: tuple[int, str] | None = None
        while True:
            query = sa.select(conversation_messages).where(m.conversation_id == conversation_id)
            if last is not None:
                query = query.where(sa.or_(m.position > last[0],
                                           sa.and_(m.position == last[0], m.id > last[1])))
            query = query.order_by(m.position, m.id).limit(rules.ITER_BATCH)
            with self._backend.connect(write=False) as conn:
                if last is None:
                    rows.require_conversations(conn, [conversation_id])
                batch = conn.execute(query).all()
            yield from (rows.message_record(row) for row in batch)
            if len(batch) < rules.ITER_BATCH:
                return
            last = (batch[-1].position, batch[-1].id)

    def save_attachments(self, attachments: Iterable[Attachment | Mapping[str, Any]]) -> int:
        batch = rules.attachments_batch(attachments)
        if not len(batch):
            return 0

        def write(conn: sa.Connection) -> int:
            imported = rows.require_conversations(conn, batch.parents)
            found = rows.changed_items(conn, conversation_attachments, batch)
            changed = found[0]
            wanted = sorted({(item.key[0], item.record.message_id) for item in changed
                             if item.record.message_id is not None})
            messages = rows.existing_keys(conn, conversation_messages, wanted)
            for key in wanted:
                if key not in messages:
                    raise rules.message_not_found(*key)
            return rows.write(self._backend, conn, conversation_attachments,
                              rows.ATTACHMENT_COLUMNS, found, rows.attachment_row,
                              self._statistics, imported)

        return self._retrying("attachments", write)

    def get_attachments(self, conversation_id: str) -> builtins.list[Attachment]:
        validate_id(conversation_id, what="conversation id")
        a = conversation_attachments.c
        with self._backend.connect(write=False) as conn:
            rows.require_conversations(conn, [conversation_id])
            found = conn.execute(sa.select(conversation_attachments)
                                 .where(a.conversation_id == conversation_id)
                                 .order_by(a.id)).all()
        return [rows.attachment_record(row) for row in found]

    def referenced_artifacts(self) -> Iterator[str]:
        sha256 = conversation_attachments.c.sha256
        with self._backend.connect(write=False) as conn:
            return iter(conn.execute(sa.select(sha256).distinct()).scalars().all())

    def attach(self, conversation_id: str, data: bytes | BinaryIO, *, name: str,
               media_type: str | None = None, message_id: str | None = None,
               attachment_id: str | None = None) -> Attachment:
        return rules.attach(self, self._artifacts(), conversation_id, data, name=name,
                            media_type=media_type, message_id=message_id,
                            attachment_id=attachment_id)

    # -- import digests (ports.conversations.ImportDigests) -----------------------------

    def imported(self, digests: Sequence[str]) -> set[str]:
        with self._backend.connect(write=False) as conn:
            return rows.imported_digests(conn, digests)

    def record_imported(self, digests: Mapping[str, str]) -> None:
        if digests:
            with self._backend.connect() as conn:
                rows.record_import_digests(conn, digests)

    # -- transfer port ------------------------------------------------------------------

    def record_types(self) -> tuple[str, ...]:
        return rules.RECORD_TYPES

    def count_records(self, record_type: str) -> int:
        check_record_type(self, record_type)
        return count_rows(self._backend, _TABLES[record_type][0])

    def export_records(self, record_type: str, *,
                       batch_size: int = 1000) -> Iterator[builtins.list[BaseModel]]:
        check_record_type(self, record_type)
        table, convert = _TABLES[record_type]
        for batch in export_rows(self._backend, table, convert, batch_size=batch_size):
            yield builtins.list(batch)

    def import_records(self, record_type: str, records: Sequence[BaseModel]) -> int:
        check_record_type(self, record_type)
        table = _TABLES[record_type][0]

        def stored(keys: builtins.list[tuple[str, ...]]) -> set[tuple[str, ...]]:
            with self._backend.connect(write=False) as conn:
                return set(rows.existing_keys(conn, table, keys))

        with self._backend.connect():
            return rules.import_missing(self, record_type, records, stored)

    def _retrying(self, what: str, write: Callable[[sa.Connection], T]) -> T:
        """Run ``write`` in a transaction; when a concurrent writer inserted the same key
        first, run it again (it then sees that row), unless the caller's own
        transaction is open, which only the caller can retry."""
        for _ in range(_ATTEMPTS):
            try:
                with self._backend.connect() as conn:
                    return write(conn)
            except AlreadyExists as exc:
                if self._backend.in_transaction:
                    raise Conflict(f"{what} saved concurrently; retry the transaction") from exc
        raise Conflict(f"{what}: too many concurrent writers, try again")
