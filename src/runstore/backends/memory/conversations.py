"""Conversations kept in memory.

Tables (values are immutable and replaced, never mutated, for the undo log):
``conversations``: id -> (Conversation, hash); ``conversation_messages`` and
``conversation_attachments``: conversation id -> read-only mapping of record id ->
(record, hash).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, BinaryIO, TypeVar

from pydantic import BaseModel

from runstore.backends._shared import conversations as rules
from runstore.backends._shared.conversations import ArtifactsGetter, Batch, Prepared
from runstore.backends._shared.transfer import check_record_type
from runstore.backends.memory.tables import MemoryTables
from runstore.models.common import Page, validate_id
from runstore.models.conversations import Attachment, Conversation, Message

__all__ = ["MemoryConversationRepository"]

_CONVERSATIONS = "conversations"
_MESSAGES = "conversation_messages"
_ATTACHMENTS = "conversation_attachments"

R = TypeVar("R", bound=BaseModel)
_Rows = Mapping[str, tuple[Any, str]]
_EMPTY: _Rows = MappingProxyType({})


class MemoryConversationRepository:
    """Conversations, messages and attachment records in :class:`MemoryTables`."""

    def __init__(self, tables: MemoryTables, artifacts: ArtifactsGetter) -> None:
        self._tables = tables
        self._artifacts = artifacts

    def save_conversation(self, conversation: Conversation | Mapping[str, Any]) -> bool:
        return self.save_conversations([conversation]) == 1

    def save_conversations(self, conversations: Iterable[Conversation | Mapping[str, Any]]
                           ) -> int:
        batch = rules.conversations_batch(conversations)
        with self._tables.transaction():
            table = self._tables.table(_CONVERSATIONS)
            stored = {key: table[key[0]][1] for key in batch.keys if key[0] in table}
            changed = batch.changed(stored)
            for item in changed:
                self._tables.put(_CONVERSATIONS, item.key[0], (_copy(item.record), item.digest))
            return len(changed)

    def get_conversation(self, conversation_id: str) -> Conversation:
        validate_id(conversation_id, what="conversation id")
        with self._tables.lock:
            stored = self._tables.table(_CONVERSATIONS).get(conversation_id)
        if stored is None:
            raise rules.conversation_not_found(conversation_id)
        record: Conversation = stored[0]
        return _copy(record)

    def list_conversations(self, *, source: str | None = None, run_id: str | None = None,
                           limit: int = 100, cursor: str | None = None) -> Page[Conversation]:
        after = rules.check_listing(source, run_id, limit, cursor)
        with self._tables.lock:
            records = [row[0] for row in self._tables.table(_CONVERSATIONS).values()]
        page = rules.page_of(records, source=source, run_id=run_id, limit=limit, after=after)
        return Page(items=[_copy(c) for c in page.items], next_cursor=page.next_cursor)

    def delete_conversation(self, conversation_id: str) -> None:
        validate_id(conversation_id, what="conversation id")
        with self._tables.transaction():
            if conversation_id not in self._tables.table(_CONVERSATIONS):
                raise rules.conversation_not_found(conversation_id)
            for name in (_ATTACHMENTS, _MESSAGES, _CONVERSATIONS):
                self._tables.delete(name, conversation_id)

    def save_messages(self, messages: Iterable[Message | Mapping[str, Any]]) -> int:
        return self._save(_MESSAGES, rules.messages_batch(messages))

    def get_messages(self, conversation_id: str) -> builtins.list[Message]:
        return self._sorted(conversation_id, _MESSAGES,
                            key=lambda m: (m.position, m.id))

    def iter_messages(self, conversation_id: str) -> Iterator[Message]:
        yield from self.get_messages(conversation_id)

    def save_attachments(self, attachments: Iterable[Attachment | Mapping[str, Any]]) -> int:
        messages = self._tables.table(_MESSAGES)

        def check(changed: builtins.list[Prepared[Attachment]]) -> None:
            for item in changed:
                record = item.record
                if record.message_id is not None and \
                        record.message_id not in messages.get(record.conversation_id, _EMPTY):
                    raise rules.message_not_found(record.conversation_id, record.message_id)

        return self._save(_ATTACHMENTS, rules.attachments_batch(attachments), check)

    def get_attachments(self, conversation_id: str) -> builtins.list[Attachment]:
        return self._sorted(conversation_id, _ATTACHMENTS, key=lambda a: a.id)

    def attach(self, conversation_id: str, data: bytes | BinaryIO, *, name: str,
               media_type: str | None = None, message_id: str | None = None,
               attachment_id: str | None = None) -> Attachment:
        return rules.attach(self, self._artifacts(), conversation_id, data, name=name,
                            media_type=media_type, message_id=message_id,
                            attachment_id=attachment_id)

    def count(self) -> int:
        with self._tables.lock:
            return len(self._tables.table(_CONVERSATIONS))

    def referenced_artifacts(self) -> Iterator[str]:
        with self._tables.lock:
            found = {row[0].sha256 for rows in self._tables.table(_ATTACHMENTS).values()
                     for row in rows.values()}
        return iter(found)

    # -- transfer port ------------------------------------------------------------------

    def record_types(self) -> tuple[str, ...]:
        return rules.RECORD_TYPES

    def count_records(self, record_type: str) -> int:
        return sum(1 for _ in self._rows(record_type))

    def export_records(self, record_type: str, *,
                       batch_size: int = 1000) -> Iterator[builtins.list[BaseModel]]:
        rows = builtins.list(self._rows(record_type))
        for start in range(0, len(rows), batch_size):
            yield [_copy(record) for record in rows[start:start + batch_size]]

    def import_records(self, record_type: str, records: Sequence[BaseModel]) -> int:
        def stored(keys: builtins.list[tuple[str, ...]]) -> set[tuple[str, ...]]:
            present = {self._key(record_type, record) for record in self._rows(record_type)}
            return present & set(keys)

        with self._tables.transaction():
            return rules.import_missing(self, record_type, records, stored)

    def _rows(self, record_type: str) -> Iterator[Any]:
        """Every record of a type, in key order (a snapshot taken under the lock)."""
        check_record_type(self, record_type)
        with self._tables.lock:
            conversations = self._tables.table(_CONVERSATIONS)
            if record_type == "conversations":
                found = [conversations[cid][0] for cid in sorted(conversations)]  # type: ignore[type-var]
            else:
                table = self._tables.table(_MESSAGES if record_type == "conversation_messages"
                                           else _ATTACHMENTS)
                found = [rows[key][0] for _, rows in sorted(table.items(), key=_first)
                         for key in sorted(rows)]
        yield from found

    @staticmethod
    def _key(record_type: str, record: Any) -> tuple[str, ...]:
        return (record.id,) if record_type == "conversations" else (record.conversation_id,
                                                                    record.id)

    # -- helpers ------------------------------------------------------------------------

    def _save(self, table: str, batch: Batch[R],
              check: Callable[[builtins.list[Prepared[R]]], None] | None = None) -> int:
        with self._tables.transaction():
            conversations = self._tables.table(_CONVERSATIONS)
            for conversation_id in batch.parents:
                if conversation_id not in conversations:
                    raise rules.conversation_not_found(conversation_id)
            rows = self._tables.table(table)
            stored = {}
            for key in batch.keys:
                row = rows.get(key[0], _EMPTY).get(key[1])
                if row is not None:
                    stored[key] = row[1]
            changed = batch.changed(stored)
            if check is not None:
                check(changed)
            for conversation_id, group in rules.group_by_conversation(changed).items():
                current: _Rows = rows.get(conversation_id, _EMPTY)
                updates = {item.key[1]: (_copy(item.record), item.digest) for item in group}
                self._tables.put(table, conversation_id, MappingProxyType({**current, **updates}))
            return len(changed)

    def _sorted(self, conversation_id: str, table: str, key: Any) -> builtins.list[Any]:
        validate_id(conversation_id, what="conversation id")
        with self._tables.lock:
            if conversation_id not in self._tables.table(_CONVERSATIONS):
                raise rules.conversation_not_found(conversation_id)
            rows: _Rows = self._tables.table(table).get(conversation_id, _EMPTY)
            records = [_copy(row[0]) for row in rows.values()]
        return sorted(records, key=key)


def _first(item: tuple[Any, Any]) -> Any:
    return item[0]


def _copy(record: R) -> R:
    """Stored and returned records are separate copies: mutating a caller's metadata
    dict never changes what is stored."""
    return record.model_copy(deep=True)
