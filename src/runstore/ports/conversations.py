"""The conversations repository port: transcripts with messages and attachments."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, BinaryIO, Protocol, runtime_checkable

from runstore.models.common import Page
from runstore.models.conversations import Attachment, Conversation, Message

__all__ = ["ConversationRepository", "ImportDigests"]

ConversationInput = Conversation | Mapping[str, Any]
MessageInput = Message | Mapping[str, Any]
AttachmentInput = Attachment | Mapping[str, Any]


class ConversationRepository(Protocol):
    """Conversations, their messages (ordered by ``position``) and attachment records.

    Every save is an idempotent upsert: each row carries a content hash, so saving the
    same content again writes nothing and reports 0 changed, while changed content
    replaces the row. Records are model instances or dicts with the same fields; a bad
    one raises ``InvalidInput`` and nothing of the call is stored. Saves inside
    ``store.transaction()`` commit or roll back together.

    Bulk calls compare stored hashes first, so saving unchanged records only reads. A
    dict already in normal form (``model_dump(mode="json")``, or a stored record) whose
    hash matches is not even validated again, which makes re-imports cheap.
    """

    def save_conversation(self, conversation: ConversationInput) -> bool:
        """Insert or replace a conversation's header; True when something changed."""
        ...

    def save_conversations(self, conversations: Iterable[ConversationInput]) -> int:
        """Insert or replace many conversation headers at once (the bulk form of
        :meth:`save_conversation`); returns how many changed."""
        ...

    def get_conversation(self, conversation_id: str) -> Conversation:
        """One conversation; ``NotFound`` when absent."""
        ...

    def list_conversations(
        self,
        *,
        source: str | None = None,
        run_id: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[Conversation]:
        """Conversations newest first (``created_at``, then ``id``, descending), filtered
        by ``source`` and ``run_id``; pass ``next_cursor`` back as ``cursor`` for the next
        page (``limit`` 1 to 1000)."""
        ...

    def delete_conversation(self, conversation_id: str) -> None:
        """Remove a conversation with its messages and attachment records (not the
        bytes, which other conversations may share); ``NotFound`` when absent."""
        ...

    def save_messages(self, messages: Iterable[MessageInput]) -> int:
        """Insert or replace messages (of one or many conversations, which must exist:
        ``NotFound`` otherwise); returns how many rows changed."""
        ...

    def get_messages(self, conversation_id: str) -> builtins.list[Message]:
        """The messages of a conversation in position order (ties by id); empty when it
        has none, ``NotFound`` when the conversation does not exist."""
        ...

    def iter_messages(self, conversation_id: str) -> Iterator[Message]:
        """The same messages as :meth:`get_messages`, streamed in bounded batches."""
        ...

    def save_attachments(self, attachments: Iterable[AttachmentInput]) -> int:
        """Insert or replace attachment records; returns how many rows changed.

        The conversation (and the message, when ``message_id`` is set) must exist. The
        bytes are not checked: store them with the artifact store, or use :meth:`attach`.
        """
        ...

    def get_attachments(self, conversation_id: str) -> builtins.list[Attachment]:
        """The attachment records of a conversation, by id; ``NotFound`` when the
        conversation does not exist."""
        ...

    def referenced_artifacts(self) -> Iterator[str]:
        """The sha256 of every blob an attachment record refers to, each once, in no particular
        order: what ``runstore gc`` keeps. A record that cannot be read raises
        ``CorruptRecord`` (``runstore doctor`` finds it), so its blob is never let go."""
        ...

    def attach(
        self,
        conversation_id: str,
        data: bytes | BinaryIO,
        *,
        name: str,
        media_type: str | None = None,
        message_id: str | None = None,
        attachment_id: str | None = None,
    ) -> Attachment:
        """Store ``data`` in the artifact store of the same backend and its record here.

        Identical bytes are stored once whatever the number of conversations attaching
        them. ``attachment_id`` defaults to one derived from the conversation, message,
        name and hash, so attaching the same file again changes nothing.
        """
        ...


@runtime_checkable
class ImportDigests(Protocol):
    """An optional fast path of a conversations repository, for re-imports.

    It remembers, per conversation, the digest of the import line (see
    :mod:`runstore.services.conversations`) whose records the conversation has held
    since that line was imported: importing that line again would change nothing, so
    the import skips it without parsing it. Any later change to the conversation, its
    messages or its attachments forgets the digest. A repository without it simply
    has every line parsed and compared record by record.
    """

    def imported(self, digests: Sequence[str]) -> set[str]:
        """Those of ``digests`` that a stored conversation still reflects."""
        ...

    def record_imported(self, digests: Mapping[str, str]) -> None:
        """Remember ``{conversation id: digest}`` for lines just imported (in the same
        transaction as their records, where the backend has them)."""
        ...
