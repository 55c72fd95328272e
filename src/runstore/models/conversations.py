"""Conversation transcripts: conversations, their messages, and attachment records.

Messages are rows of their own (never a snapshot of the whole transcript), keyed by
``(conversation_id, id)`` and ordered by ``position``. Attachment records point to
bytes in the artifact store by sha256.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Final

import orjson
from pydantic import ConfigDict, Field, field_validator, model_validator

from runstore.errors import InvalidInput
from runstore.models.artifacts import SHA256_PATTERN
from runstore.models.common import (
    ID_PATTERN,
    JsonObject,
    Record,
    ensure_utc,
    utcnow,
)

__all__ = [
    "Attachment",
    "ContentPart",
    "Conversation",
    "Message",
    "decode_conversation_cursor",
    "encode_conversation_cursor",
]

_NAME_LIMIT: Final = 255
# JSON values (metadata, part data) reject NaN and infinities, which JSON cannot hold.
_CONFIG: Final = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Conversation(Record):
    """One transcript's header.

    ``source`` names the tool or provider it came from (``"chatgpt"``, ``"my-agent"``);
    ``run_id`` optionally links it to a run. ``created_at`` defaults to now and
    ``updated_at`` to ``created_at``: give both when importing, so that saving the same
    conversation again is recognised as unchanged.
    """

    model_config = _CONFIG

    id: str = Field(pattern=ID_PATTERN.pattern)
    source: str = Field(min_length=1, max_length=128)
    run_id: str | None = Field(default=None, pattern=ID_PATTERN.pattern)
    title: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime | None = None
    metadata: JsonObject = Field(default_factory=dict)

    @field_validator("created_at", "updated_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else ensure_utc(value)

    @model_validator(mode="after")
    def _check(self) -> Conversation:
        if self.updated_at is None:
            object.__setattr__(self, "updated_at", self.created_at)
        return self


class ContentPart(Record):
    """One typed part of a message: ``type`` says what it is (``"text"``, ``"image"``,
    ``"tool_call"``, ``"tool_result"``, ``"thinking"``...).

    ``text`` holds its text, ``data`` any structured payload (tool arguments, a result),
    ``attachment_id`` an attachment of the same conversation (an image, a file).
    """

    model_config = _CONFIG

    type: str = Field(min_length=1, max_length=64)
    text: str | None = None
    data: JsonObject | None = None
    attachment_id: str | None = Field(default=None, pattern=ID_PATTERN.pattern)


class Message(Record):
    """One message of a conversation, at ``position`` (0, 1, 2...; ties sort by id).

    ``content`` is plain text or a list of typed :class:`ContentPart`. ``created_at`` is
    optional (many exports have no time per message).
    """

    model_config = _CONFIG

    id: str = Field(pattern=ID_PATTERN.pattern)
    conversation_id: str = Field(pattern=ID_PATTERN.pattern)
    position: int = Field(ge=0, lt=2**31)
    role: str = Field(min_length=1, max_length=64)
    content: str | list[ContentPart]
    created_at: datetime | None = None
    metadata: JsonObject = Field(default_factory=dict)

    @field_validator("created_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else ensure_utc(value)

    @property
    def text(self) -> str:
        """The message's text: the content itself, or its text parts joined by newlines."""
        if isinstance(self.content, str):
            return self.content
        return "\n".join(part.text for part in self.content if part.text is not None)


class Attachment(Record):
    """A file attached to a conversation (optionally to one of its messages).

    The bytes live in the artifact store under ``sha256``; this record keeps the name,
    media type and size. ``conversations.attach(...)`` stores both in one call.
    """

    model_config = _CONFIG

    id: str = Field(pattern=ID_PATTERN.pattern)
    conversation_id: str = Field(pattern=ID_PATTERN.pattern)
    message_id: str | None = Field(default=None, pattern=ID_PATTERN.pattern)
    name: str = Field(min_length=1, max_length=_NAME_LIMIT)
    media_type: str | None = Field(default=None, min_length=1, max_length=255)
    size: int = Field(ge=0)
    sha256: str = Field(pattern=SHA256_PATTERN)
    metadata: JsonObject = Field(default_factory=dict)



def encode_conversation_cursor(conversation: Conversation) -> str:
    """An opaque cursor positioned just after ``conversation`` in newest-first order."""
    raw = orjson.dumps([conversation.created_at.isoformat(), conversation.id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_conversation_cursor(cursor: object) -> tuple[datetime, str]:
    """``(created_at, id)`` of the last conversation of the previous page."""
    problem = f"invalid cursor {str(cursor)[:40]!r}: pass a next_cursor unchanged"
    if not isinstance(cursor, str):
        raise InvalidInput(problem)
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, conversation_id = orjson.loads(raw)
        when = ensure_utc(datetime.fromisoformat(created))
    except (ValueError, TypeError) as exc:
        raise InvalidInput(problem) from exc
    if not isinstance(conversation_id, str) or not ID_PATTERN.fullmatch(conversation_id):
        raise InvalidInput(problem)
    return when, conversation_id
