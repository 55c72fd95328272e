"""Conversations as plain JSON files, one folder per conversation::

    ROOT/conversations/<id>/conversation.json       the header
    ROOT/conversations/<id>/messages/<message>.json one file per message
    ROOT/conversations/<id>/attachments.json        attachment records, by id

Every file carries the record's ``content_hash``; writes are atomic and a per-conversation
file lock serializes writers across processes. Deleting renames the folder away first,
so a conversation disappears at once, messages and all.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import re
import shutil
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO, Final, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from runstore.backends._shared import conversations as rules
from runstore.backends._shared.conversations import ArtifactsGetter, Prepared
from runstore.backends._shared.transfer import check_record_type
from runstore.backends.files.atomic import atomic_write
from runstore.backends.files.layout import FileLayout
from runstore.errors import CorruptRecord
from runstore.models.artifacts import SHA256_PATTERN
from runstore.models.common import Page, validate_id
from runstore.models.conversations import Attachment, Conversation, Message

__all__ = ["FileConversationRepository"]

R = TypeVar("R", bound=BaseModel)
_HEADER = "conversation.json"
_ATTACHMENTS = "attachments.json"
_MESSAGES = "messages"
SHA256: Final = re.compile(SHA256_PATTERN)


class FileConversationRepository:
    """One folder per conversation under ``ROOT/conversations``."""

    def __init__(self, layout: FileLayout, artifacts: ArtifactsGetter) -> None:
        self._layout = layout
        self._root = layout.root / "conversations"
        self._artifacts = artifacts

    def save_conversation(self, conversation: Conversation | Mapping[str, Any]) -> bool:
        return self.save_conversations([conversation]) == 1

    def save_conversations(self, conversations: Iterable[Conversation | Mapping[str, Any]]
                           ) -> int:
        batch = rules.conversations_batch(conversations)
        changed = batch.changed({key: found for key in batch.keys
                                 if (found := _stored_hash(self._root / key[0] / _HEADER))})
        written = 0
        for item in changed:
            path = self._root / item.key[0] / _HEADER
            with self._lock(item.key[0]):
                if _stored_hash(path) != item.digest:
                    self._write(path, item, indent=True)
                    written += 1
        return written

    def get_conversation(self, conversation_id: str) -> Conversation:
        validate_id(conversation_id, what="conversation id")
        return self._header(conversation_id)

    def list_conversations(self, *, source: str | None = None, run_id: str | None = None,
                           limit: int = 100, cursor: str | None = None) -> Page[Conversation]:
        after = rules.check_listing(source, run_id, limit, cursor)
        return rules.page_of(self._all(), source=source, run_id=run_id, limit=limit,
                             after=after)

    def delete_conversation(self, conversation_id: str) -> None:
        validate_id(conversation_id, what="conversation id")
        folder = self._root / conversation_id
        with self._lock(conversation_id):
            if not (folder / _HEADER).exists():
                raise rules.conversation_not_found(conversation_id)
            trash = self._root / f".deleted-{conversation_id}-{os.urandom(4).hex()}"
            os.replace(folder, trash)
        shutil.rmtree(trash, ignore_errors=True)

    def save_messages(self, messages: Iterable[Message | Mapping[str, Any]]) -> int:
        batch = rules.messages_batch(messages)
        self._require(batch.parents)
        changed = batch.changed({key: found for key in batch.keys
                                 if (found := _stored_hash(self._message_path(key)))})
        written = 0
        for conversation_id, group in rules.group_by_conversation(changed).items():
            with self._lock(conversation_id):
                self._require_header(conversation_id)
                for item in group:
                    path = self._message_path(item.key)
                    if _stored_hash(path) != item.digest:
                        self._write(path, item)
                        written += 1
        return written

    def get_messages(self, conversation_id: str) -> builtins.list[Message]:
        validate_id(conversation_id, what="conversation id")
        self._require_header(conversation_id)
        folder = self._root / conversation_id / _MESSAGES
        paths = sorted(folder.glob("*.json")) if folder.is_dir() else []
        records = [_load(path, Message, conversation_id) for path in paths]
        return sorted(records, key=lambda m: (m.position, m.id))

    def iter_messages(self, conversation_id: str) -> Iterator[Message]:
        """Reads the conversation's message files (to sort them), then yields them."""
        yield from self.get_messages(conversation_id)

    def save_attachments(self, attachments: Iterable[Attachment | Mapping[str, Any]]) -> int:
        batch = rules.attachments_batch(attachments)
        self._require(batch.parents)
        stored: dict[tuple[str, ...], str] = {}
        for conversation_id in batch.parents:
            for key, document in self._read_attachments(
                    self._root / conversation_id / _ATTACHMENTS).items():
                if isinstance(document.get("content_hash"), str):
                    stored[(conversation_id, key)] = document["content_hash"]
        changed = batch.changed(stored)
        for item in changed:
            message_id = item.record.message_id
            if message_id is not None and \
                    not self._message_path((item.key[0], message_id)).exists():
                raise rules.message_not_found(item.key[0], message_id)
        written = 0
        for conversation_id, group in rules.group_by_conversation(changed).items():
            with self._lock(conversation_id):
                self._require_header(conversation_id)
                path = self._root / conversation_id / _ATTACHMENTS
                current = self._read_attachments(path)
                updates = {item.key[1]: {"content_hash": item.digest, **item.document}
                           for item in group
                           if current.get(item.key[1], {}).get("content_hash") != item.digest}
                if updates:
                    body = {**current, **updates}
                    atomic_write(path, orjson.dumps(dict(sorted(body.items())),
                                                    option=orjson.OPT_INDENT_2) + b"\n",
                                 durable=self._layout.durable)
                    written += len(updates)
        return written

    def get_attachments(self, conversation_id: str) -> builtins.list[Attachment]:
        validate_id(conversation_id, what="conversation id")
        self._require_header(conversation_id)
        path = self._root / conversation_id / _ATTACHMENTS
        return [_validate(path, Attachment, {k: v for k, v in document.items()
                                              if k != "content_hash"}, document)
                for _, document in sorted(self._read_attachments(path).items())]

    def attach(self, conversation_id: str, data: bytes | BinaryIO, *, name: str,
               media_type: str | None = None, message_id: str | None = None,
               attachment_id: str | None = None) -> Attachment:
        return rules.attach(self, self._artifacts(), conversation_id, data, name=name,
                            media_type=media_type, message_id=message_id,
                            attachment_id=attachment_id)

    def count(self) -> int:
        if not self._root.is_dir():
            return 0
        return sum(1 for folder in self._root.iterdir()
                   if not folder.name.startswith(".") and (folder / _HEADER).exists())

    def referenced_artifacts(self) -> Iterator[str]:
        found: set[str] = set()
        folders = self._root.iterdir() if self._root.is_dir() else iter(())
        for folder in folders:
            if folder.name.startswith("."):
                continue  # being deleted
            path = folder / _ATTACHMENTS
            for record in self._read_attachments(path).values():
                sha256 = record.get("sha256")
                if not isinstance(sha256, str) or not SHA256.fullmatch(sha256):
                    raise CorruptRecord(str(path), "an attachment record has no valid sha256")
                found.add(sha256)
        return iter(found)

    # -- transfer port ------------------------------------------------------------------

    def record_types(self) -> tuple[str, ...]:
        return rules.RECORD_TYPES

    def count_records(self, record_type: str) -> int:
        return sum(len(batch) for batch in self.export_records(record_type))

    def export_records(self, record_type: str, *,
                       batch_size: int = 1000) -> Iterator[builtins.list[BaseModel]]:
        check_record_type(self, record_type)
        batch: builtins.list[BaseModel] = []
        folders = sorted(self._root.iterdir()) if self._root.is_dir() else []
        for folder in folders:
            if folder.name.startswith(".") or not (folder / _HEADER).exists():
                continue
            if record_type == "conversations":
                found: builtins.list[BaseModel] = [self._header(folder.name)]
            elif record_type == "conversation_messages":
                messages = self.get_messages(folder.name)
                messages.sort(key=lambda m: m.id)
                found = builtins.list(messages)
            else:
                found = builtins.list(self.get_attachments(folder.name))
            batch.extend(found)
            if len(batch) >= batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def import_records(self, record_type: str, records: Sequence[BaseModel]) -> int:
        def stored(keys: builtins.list[tuple[str, ...]]) -> set[tuple[str, ...]]:
            if record_type == "conversations":
                return {key for key in keys if (self._root / key[0] / _HEADER).exists()}
            if record_type == "conversation_messages":
                return {key for key in keys if self._message_path(key).exists()}
            present: set[tuple[str, ...]] = set()
            for conversation_id in {key[0] for key in keys}:
                path = self._root / conversation_id / _ATTACHMENTS
                present.update((conversation_id, aid) for aid in self._read_attachments(path))
            return present & set(keys)

        return rules.import_missing(self, record_type, records, stored)

    # -- helpers ------------------------------------------------------------------------

    def _lock(self, conversation_id: str) -> contextlib.AbstractContextManager[None]:
        return self._layout.lock(f"conversation:{conversation_id}")

    def _write(self, path: Path, item: Prepared[Any], *, indent: bool = False) -> None:
        body = {"content_hash": item.digest, **item.document}
        atomic_write(path, orjson.dumps(body, option=orjson.OPT_INDENT_2 if indent else 0)
                     + b"\n", durable=self._layout.durable)

    def _message_path(self, key: tuple[str, ...]) -> Path:
        return self._root / key[0] / _MESSAGES / f"{key[1]}.json"

    def _require(self, conversation_ids: Iterable[str]) -> None:
        """Every conversation exists before anything of the call is written."""
        for conversation_id in conversation_ids:
            self._require_header(conversation_id)

    def _require_header(self, conversation_id: str) -> None:
        if not (self._root / conversation_id / _HEADER).exists():
            raise rules.conversation_not_found(conversation_id)

    def _header(self, conversation_id: str) -> Conversation:
        path = self._root / conversation_id / _HEADER
        if not path.exists():
            raise rules.conversation_not_found(conversation_id)
        return _load(path, Conversation, conversation_id)

    def _all(self) -> Iterator[Conversation]:
        if not self._root.is_dir():
            return
        for folder in self._root.iterdir():
            if folder.name.startswith(".") or not (folder / _HEADER).exists():
                continue
            try:
                yield _load(folder / _HEADER, Conversation, folder.name)
            except CorruptRecord as exc:
                warnings.warn(f"skipping {exc}", stacklevel=3)

    @staticmethod
    def _read_attachments(path: Path) -> dict[str, dict[str, Any]]:
        try:
            data = orjson.loads(path.read_bytes())
        except FileNotFoundError:
            return {}
        except (OSError, orjson.JSONDecodeError) as exc:
            raise CorruptRecord(str(path), f"cannot read JSON ({exc})") from exc
        if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
            raise CorruptRecord(str(path), "expected an object of attachment records")
        return data


def _stored_hash(path: Path) -> str | None:
    """The content hash recorded in a file, or None when absent or unreadable (so a
    damaged file is simply rewritten by the next save)."""
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    found = data.get("content_hash") if isinstance(data, dict) else None
    return found if isinstance(found, str) else None


def _load(path: Path, model: type[R], conversation_id: str) -> R:
    try:
        document = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise rules.conversation_not_found(conversation_id) from None
    except (OSError, orjson.JSONDecodeError) as exc:
        raise CorruptRecord(str(path), f"cannot read JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise CorruptRecord(str(path), "expected a JSON object")
    body = {k: v for k, v in document.items() if k != "content_hash"}
    return _validate(path, model, body, document)


def _validate(path: Path, model: type[R], body: dict[str, Any], document: dict[str, Any]) -> R:
    try:
        record = model.model_validate(body)
    except ValidationError as exc:
        raise CorruptRecord(str(path), f"invalid record ({exc.errors()[0]['msg']})") from exc
    if rules.digest_of(record) != document.get("content_hash"):
        raise CorruptRecord(str(path), "record does not match its content_hash (edited on disk?)")
    owner = getattr(record, "conversation_id", None) or getattr(record, "id", None)
    if owner not in {path.parent.name, path.parent.parent.name}:
        raise CorruptRecord(str(path), f"record belongs to conversation {owner!r}")
    return record
