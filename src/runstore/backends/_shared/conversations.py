"""Backend-independent rules of the conversations repository: validation, content
hashes, documents, pagination, attachment ids, and ``attach`` over the artifact port."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, BinaryIO, Final, TypeVar

from pydantic import BaseModel

from runstore.backends._shared.conversation_batches import Batch, Kind, Prepared, digest
from runstore.backends._shared.transfer import as_records, check_record_type
from runstore.errors import InvalidInput, NotFound, UnsupportedOperation
from runstore.models.common import Page, coerce, validate_id
from runstore.models.conversations import (
    Attachment,
    ContentPart,
    Conversation,
    Message,
    decode_conversation_cursor,
    encode_conversation_cursor,
)
from runstore.models.message_check import CheckedMessages
from runstore.models.message_check import message_document as fast_message_document

if TYPE_CHECKING:
    from runstore.ports.artifacts import ArtifactRepository
    from runstore.ports.conversations import ConversationRepository

__all__ = [
    "ATTACHMENTS",
    "CONVERSATIONS",
    "ITER_BATCH",
    "MESSAGES",
    "RECORD_TYPES",
    "ArtifactsGetter",
    "Batch",
    "Prepared",
    "artifacts_of",
    "attach",
    "attachment_document",
    "attachment_id_for",
    "attachments_batch",
    "check_listing",
    "conversation_document",
    "conversation_not_found",
    "conversations_batch",
    "digest_of",
    "group_by_conversation",
    "import_missing",
    "message_document",
    "message_not_found",
    "messages_batch",
    "page_of",
    "prepare_conversation",
]

M = TypeVar("M", bound=BaseModel)
ITER_BATCH: Final = 500
ArtifactsGetter = Callable[[], "ArtifactRepository"]


def conversation_document(record: Conversation) -> dict[str, Any]:
    """Every field as JSON-ready values (datetimes are serialized by orjson)."""
    return {
        "id": record.id, "source": record.source, "run_id": record.run_id,
        "title": record.title, "created_at": record.created_at,
        "updated_at": record.updated_at, "metadata": record.metadata,
    }


def message_document(record: Message) -> dict[str, Any]:
    content: Any = record.content
    if not isinstance(content, str):
        content = [_part_document(part) for part in content]
    return {
        "id": record.id, "conversation_id": record.conversation_id,
        "position": record.position, "role": record.role, "content": content,
        "created_at": record.created_at, "metadata": record.metadata,
    }


def _part_document(part: ContentPart) -> dict[str, Any]:
    """A part without its unset fields (``{"type": "text", "text": "hi"}``)."""
    document: dict[str, Any] = {"type": part.type}
    if part.text is not None:
        document["text"] = part.text
    if part.data is not None:
        document["data"] = part.data
    if part.attachment_id is not None:
        document["attachment_id"] = part.attachment_id
    return document


def attachment_document(record: Attachment) -> dict[str, Any]:
    return {
        "id": record.id, "conversation_id": record.conversation_id,
        "message_id": record.message_id, "name": record.name,
        "media_type": record.media_type, "size": record.size, "sha256": record.sha256,
        "metadata": record.metadata,
    }


def _filled(value: Mapping[str, Any], required: frozenset[str],
            defaults: Mapping[str, Any]) -> dict[str, Any] | None:
    if not required <= value.keys():
        return None
    return {**defaults, **value}


def _fill_conversation(value: Mapping[str, Any]) -> dict[str, Any] | None:
    filled = _filled(value, frozenset(("id", "source", "created_at")),
                     {"run_id": None, "title": None, "metadata": {}})
    if filled is not None and filled.get("updated_at") is None:
        filled["updated_at"] = filled["created_at"]
    return filled


CONVERSATIONS: Final = Kind(Conversation, "conversation", ("id",), _fill_conversation,
                            conversation_document)
_MESSAGE_REQUIRED: Final = frozenset(("id", "conversation_id", "position", "role", "content"))
_MESSAGE_FIELDS: Final = 7


def _compact(content: object) -> bool:
    """Whether a message's content is in normal form already: text, or parts without
    ``None`` values."""
    if type(content) is str:
        return True
    if type(content) is not list:
        return False
    return all(type(part) is dict and None not in part.values() for part in content)


def _fill_message(value: Mapping[str, Any]) -> Mapping[str, Any] | None:
    content = value.get("content")
    compact = _compact(content)
    if compact and len(value) >= _MESSAGE_FIELDS:
        return value  # nothing to fill in
    filled = _filled(value, _MESSAGE_REQUIRED, {"created_at": None, "metadata": {}})
    if filled is not None and not compact:
        if type(content) is not list or not all(type(part) is dict for part in content):
            return None
        filled["content"] = [{k: v for k, v in part.items() if v is not None}
                             for part in content]
    return filled


MESSAGES: Final = Kind(Message, "message", ("conversation_id", "id"), _fill_message,
                       message_document, fast_message_document, CheckedMessages)
ATTACHMENTS: Final = Kind(
    Attachment, "attachment", ("conversation_id", "id"),
    lambda value: _filled(value, frozenset(("id", "conversation_id", "name", "size", "sha256")),
                          {"message_id": None, "media_type": None, "metadata": {}}),
    attachment_document)


def digest_of(record: BaseModel) -> str:
    """The content hash of a conversation, message or attachment record."""
    for kind in (CONVERSATIONS, MESSAGES, ATTACHMENTS):
        if isinstance(record, kind.model):
            return digest(kind.document(record))  # type: ignore[arg-type]
    raise InvalidInput(f"not a conversation record: {type(record).__name__}")


def prepare_conversation(value: object) -> Prepared[Conversation]:
    """Validate and hash one conversation."""
    return CONVERSATIONS.prepare(value)


def conversations_batch(values: Iterable[object]) -> Batch[Conversation]:
    return Batch(CONVERSATIONS, values)


def messages_batch(values: Iterable[object]) -> Batch[Message]:
    return Batch(MESSAGES, values)


def attachments_batch(values: Iterable[object]) -> Batch[Attachment]:
    return Batch(ATTACHMENTS, values)


def group_by_conversation(items: Iterable[Prepared[M]]) -> dict[str, list[Prepared[M]]]:
    """Items grouped by conversation id, in first-seen order."""
    groups: dict[str, list[Prepared[M]]] = {}
    for item in items:
        groups.setdefault(item.key[0], []).append(item)
    return groups


def conversation_not_found(conversation_id: str) -> NotFound:
    return NotFound("conversation", conversation_id)


def message_not_found(conversation_id: str, message_id: str) -> NotFound:
    return NotFound("message", (conversation_id, message_id),
                    f"message {message_id!r} of conversation {conversation_id!r} not found")


def check_listing(source: object, run_id: object, limit: object,
                  cursor: object) -> tuple[datetime, str] | None:
    """Validate ``list_conversations`` arguments; returns the decoded cursor."""
    if source is not None and (not isinstance(source, str) or not source):
        raise InvalidInput(f"invalid source {source!r}: give a non-empty string")
    if run_id is not None:
        validate_id(run_id, what="run id")
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 1000:
        raise InvalidInput(f"limit must be an int from 1 to 1000, not {limit!r}")
    return None if cursor is None else decode_conversation_cursor(cursor)


def page_of(records: Iterable[Conversation], *, source: str | None, run_id: str | None,
            limit: int, after: tuple[datetime, str] | None) -> Page[Conversation]:
    """One newest-first page from an unordered collection (memory and files backends)."""
    matching = [c for c in records
                if (source is None or c.source == source)
                and (run_id is None or c.run_id == run_id)
                and (after is None or (c.created_at, c.id) < after)]
    matching.sort(key=lambda c: (c.created_at, c.id), reverse=True)
    page = matching[:limit]
    more = len(matching) > limit
    return Page(items=page, next_cursor=encode_conversation_cursor(page[-1]) if more else None)


def attachment_id_for(conversation_id: str, message_id: str | None, name: str,
                      sha256: str) -> str:
    """A stable id for an attachment: the same file attached twice gets the same id."""
    key = "\0".join((conversation_id, message_id or "", name, sha256))
    return "att-" + hashlib.sha256(key.encode()).hexdigest()[:32]


def artifacts_of(backend: object) -> ArtifactsGetter:
    """A getter for the artifact store of ``backend``, looked up when first needed."""

    def getter() -> ArtifactRepository:
        artifacts: ArtifactRepository | None = getattr(backend, "artifacts", None)
        if artifacts is None:
            raise UnsupportedOperation(
                f"{getattr(backend, 'url', backend)} has no artifact store, so attach() "
                "cannot store bytes; save the bytes elsewhere and use save_attachments()")
        return artifacts

    return getter


def attach(repository: ConversationRepository, artifacts: ArtifactRepository,
           conversation_id: str, data: bytes | BinaryIO, *, name: str,
           media_type: str | None, message_id: str | None,
           attachment_id: str | None) -> Attachment:
    """Validate, store the bytes, then save the record (the bytes stay if that fails:
    content-addressed blobs are harmless and shared)."""
    validate_id(conversation_id, what="conversation id")
    if message_id is not None:
        validate_id(message_id, what="message id")
    if attachment_id is not None:
        validate_id(attachment_id, what="attachment id")
    if not isinstance(name, str) or not 0 < len(name) <= 255:
        raise InvalidInput(f"invalid attachment name {name!r}: give 1 to 255 characters")
    if not isinstance(data, bytes | bytearray | memoryview) and not hasattr(data, "read"):
        raise InvalidInput(f"attachment data must be bytes or a binary file, "
                           f"not {type(data).__name__}")
    repository.get_conversation(conversation_id)  # NotFound before any bytes are written
    ref = artifacts.put(data, media_type=media_type)
    record = coerce(Attachment, {
        "id": attachment_id or attachment_id_for(conversation_id, message_id, name, ref.sha256),
        "conversation_id": conversation_id, "message_id": message_id, "name": name,
        "media_type": media_type if media_type is not None else ref.media_type,
        "size": ref.size, "sha256": ref.sha256,
    }, what="attachment")
    repository.save_attachments([record])
    return record


RECORD_TYPES: Final = ("conversations", "conversation_messages", "conversation_attachments")
_KINDS: Final[dict[str, Kind[Any]]] = dict(zip(RECORD_TYPES, (CONVERSATIONS, MESSAGES,
                                                              ATTACHMENTS), strict=True))


def import_missing(repository: Any, record_type: str, records: Sequence[BaseModel],
                   stored_keys: Callable[[list[tuple[str, ...]]], set[tuple[str, ...]]]) -> int:
    """The transfer port's ``import_records`` for a conversations repository: save the
    records whose keys ``stored_keys`` does not report (parents come first in
    :data:`RECORD_TYPES`, so attachments find their messages)."""
    check_record_type(repository, record_type)
    kind = _KINDS[record_type]
    typed = as_records(kind.model, records)
    present = stored_keys([kind.key(record) for record in typed])
    missing = [record for record in typed if kind.key(record) not in present]
    if not missing:
        return 0
    save = {"conversations": repository.save_conversations,
            "conversation_messages": repository.save_messages,
            "conversation_attachments": repository.save_attachments}[record_type]
    return int(save(missing))
