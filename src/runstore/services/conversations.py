"""Import conversations from JSON Lines, in one pass, in batches.

The format (one conversation per line, UTF-8)::

    {"id": "c-1", "source": "chatgpt", "title": "Trip", "run_id": null,
     "created_at": "2024-05-01T12:00:00+00:00", "updated_at": "...", "metadata": {},
     "messages": [
       {"id": "m0", "position": 0, "role": "user", "content": "Hello",
        "created_at": "2024-05-01T12:00:00+00:00", "metadata": {}},
       {"id": "m1", "role": "assistant",
        "content": [{"type": "text", "text": "Hi!"},
                    {"type": "tool_call", "data": {"name": "search"}}]}
     ],
     "attachments": [
       {"name": "photo.png", "media_type": "image/png", "message_id": "m0",
        "data_base64": "iVBORw0KGgo..."},
       {"id": "a1", "name": "report.pdf", "sha256": "<64 hex>", "size": 1234}
     ]}

- The conversation's fields are those of :class:`~runstore.models.Conversation`;
  ``messages`` and ``attachments`` are optional.
- A message's ``conversation_id`` is the line's ``id``; ``position`` defaults to its
  index in the list and ``id`` to ``m<position>``.
- An attachment either carries its bytes (``data_base64``: stored in the artifact store
  through ``attach``) or refers to bytes already there (``sha256`` and ``size``).
- Give ``created_at`` for each conversation: without it the time of the import is
  used, and importing the same file again would then replace every conversation.

Saving is an idempotent upsert, so importing the same file again writes nothing.
Each batch of conversations is one transaction where the backend has them.

A line in the common shape is parsed and its messages checked in one pass over its
bytes (:func:`~runstore.models.message_check.check_line`); any other line is parsed as
it is and checked record by record, which names what is wrong with it.

Where the repository keeps import digests (:class:`~runstore.ports.ImportDigests`: the
SQL backends), a line whose conversation has not changed since that very line was
imported is skipped without being parsed (``ImportReport.skipped``); a re-import then
costs a hash per line. Its messages and attachments are not counted as read.
"""

from __future__ import annotations

import base64
import binascii
import gc
import hashlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from runstore.errors import InvalidInput
from runstore.models.common import ID_PATTERN, coerce
from runstore.models.conversations import Attachment, Conversation, Message
from runstore.models.message_check import CheckedMessages, check_line, complete_message
from runstore.ports.conversations import ImportDigests
from runstore.store import Store

__all__ = ["ImportReport", "ParsedConversation", "import_file", "import_lines", "parse_line"]

# Bytes of input just consumed (for a progress bar).
Progress = Callable[[int], None]

_UPLOAD_FIELDS = frozenset({"id", "conversation_id", "message_id", "name", "media_type"})
# Prefixed to every line hashed for ImportDigests: change it whenever a line's meaning
# changes (defaults, fields), so lines imported by earlier versions are read again.
_DIGEST_FORMAT = b"runstore conversations import 1\n"


@dataclass(slots=True)
class ImportReport:
    """How many records were read, and how many of them changed the store.

    ``skipped`` conversations (counted in ``conversations`` too) were unchanged since
    their line was last imported, and were not read further (see the module docstring).
    """

    conversations: int = 0
    messages: int = 0
    attachments: int = 0
    skipped: int = 0
    changed: dict[str, int] = field(
        default_factory=lambda: {"conversations": 0, "messages": 0, "attachments": 0})


@dataclass(slots=True)
class ParsedConversation:
    """One parsed line: the conversation's fields, its messages, attachment records that
    refer to stored bytes, and ``(fields, bytes)`` pairs still to be stored.

    The messages are ``CheckedMessages`` when the line was checked as it was parsed
    (see :func:`parse_line`); the rest is validated by the repository, where it changed.
    """

    where: str
    conversation: dict[str, Any]
    messages: list[dict[str, Any]]
    references: list[dict[str, Any]]
    uploads: list[tuple[dict[str, Any], bytes]]

    @property
    def id(self) -> str:
        return str(self.conversation.get("id"))

    def validate(self) -> None:
        """``InvalidInput`` naming this line and the field, for the first bad record."""
        where = self.where
        coerce(Conversation, self.conversation, what=f"{where}: conversation")
        for index, message in enumerate(self.messages):
            coerce(Message, message, what=f"{where}: message [{index}]")
        for index, attachment in enumerate(self.references):
            coerce(Attachment, attachment, what=f"{where}: attachment [{index}]")


def parse_line(line: bytes | str, *, where: str = "line") -> ParsedConversation:
    """Parse one JSONL line into its records (see the module docstring).

    A line in the common shape is checked in the same pass (``check_line``); any other
    is parsed as it is, and its records are checked when saved, which names what is
    wrong with them."""
    checked = check_line(line)  # its messages are then CheckedMessages
    if checked is not None:
        document, messages, cid = checked, checked.pop("messages"), checked["id"]
    else:
        document, messages, cid = _parse(line, where)
    raw_attachments = document.pop("attachments", None) or []
    if not isinstance(raw_attachments, list):
        raise InvalidInput(f"{where}: 'messages' and 'attachments' must be lists")
    references: list[dict[str, Any]] = []
    uploads: list[tuple[dict[str, Any], bytes]] = []
    for index, raw in enumerate(raw_attachments):
        what = f"{where}: attachment [{index}]"
        if not isinstance(raw, dict):
            raise InvalidInput(f"{what} must be an object")
        values = {**raw, "conversation_id": cid}
        encoded = values.pop("data_base64", None)
        if encoded is None:
            references.append(values)
        else:
            uploads.append((values, _upload(values, encoded, what)))
    return ParsedConversation(where, document, messages, references, uploads)


def _parse(line: bytes | str, where: str) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    """A line's object, its messages (completed in place) and its conversation id,
    parsed as they are."""
    try:
        document = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"{where}: not JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise InvalidInput(f"{where}: expected a JSON object (one conversation per line)")
    messages = document.pop("messages", None) or []
    if not isinstance(messages, list):
        raise InvalidInput(f"{where}: 'messages' and 'attachments' must be lists")
    cid = document.get("id")
    if not isinstance(cid, str) or not ID_PATTERN.fullmatch(cid):
        coerce(Conversation, document, what=f"{where}: conversation")  # names the problem
        raise InvalidInput(f"{where}: invalid conversation id {cid!r}")
    for index, raw in enumerate(messages):
        if type(raw) is not dict:
            raise InvalidInput(f"{where}: message [{index}] must be an object")
        if not complete_message(raw, index, cid):
            raise InvalidInput(f"{where}: message [{index}] belongs to another conversation")
    return document, messages, cid


def _upload(values: dict[str, Any], encoded: object, what: str) -> bytes:
    """The bytes of an attachment given with ``data_base64`` (now out of ``values``)."""
    try:
        data = base64.b64decode(encoded, validate=True)  # type: ignore[arg-type]
    except (binascii.Error, TypeError, ValueError) as exc:
        raise InvalidInput(f"{what}: data_base64 is not base64 ({exc})") from exc
    if not isinstance(values.get("name"), str):
        raise InvalidInput(f"{what}: give a 'name'")
    unknown = set(values) - _UPLOAD_FIELDS
    if unknown:
        raise InvalidInput(f"{what}: unknown field {sorted(unknown)[0]!r} next to "
                           f"data_base64; known: {', '.join(sorted(_UPLOAD_FIELDS))}")
    return data


def import_lines(store: Store, lines: Iterable[bytes], *, batch_size: int = 100,
                 progress: Progress | None = None, source_name: str = "line") -> ImportReport:
    """Import JSONL ``lines`` (one conversation each) in batches of ``batch_size``.

    A bad line raises ``InvalidInput`` naming its number and field; its batch is not
    written (where the backend has transactions) and the batches before it stay
    imported, so the import can simply be run again once the line is fixed.
    """
    if batch_size < 1:
        raise InvalidInput(f"batch_size must be at least 1, not {batch_size}")
    with _cyclic_gc_paused():
        return _import(store, lines, batch_size, progress, source_name)


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while records stream through.

    An import allocates millions of short-lived, acyclic dicts and models (freed at
    once by reference counting); the cyclic collector would otherwise walk them, and
    every older object of the process, again and again (a third of the import time).
    It is switched back on, as it was, when the import ends or fails.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _import(store: Store, lines: Iterable[bytes], batch_size: int, progress: Progress | None,
            source_name: str) -> ImportReport:
    report = ImportReport()
    repository = store.conversations
    digests = repository if isinstance(repository, ImportDigests) else None
    batch: list[tuple[int, bytes]] = []
    consumed = 0
    for number, line in enumerate(lines, start=1):
        consumed += len(line)
        if not line or line.isspace():  # (isspace stops at the first other byte)
            continue
        batch.append((number, line))
        if len(batch) >= batch_size:
            _import_batch(store, batch, source_name, report, digests)
            batch = []
            if progress is not None:
                progress(consumed)
                consumed = 0
    if batch:
        _import_batch(store, batch, source_name, report, digests)
    if progress is not None and consumed:
        progress(consumed)
    return report


def _import_batch(store: Store, lines: list[tuple[int, bytes]], source_name: str,
                  report: ImportReport, digests: ImportDigests | None) -> None:
    """Parse and write one batch of numbered lines, but those ``digests`` says are
    reflected by their stored conversation already."""
    if digests is None:
        _write(store, [parse_line(line, where=f"{source_name} {number}")
                       for number, line in lines], report)
        return
    hashed = [(hashlib.sha256(_DIGEST_FORMAT + line.strip()).hexdigest(), number, line)
              for number, line in lines]
    done = digests.imported([digest for digest, _, _ in hashed])
    todo = [(digest, parse_line(line, where=f"{source_name} {number}"))
            for digest, number, line in hashed if digest not in done]
    skipped = len(hashed) - len(todo)
    report.skipped += skipped
    report.conversations += skipped
    if todo:
        _write(store, [parsed for _, parsed in todo], report, lambda: digests.record_imported(
            {parsed.id: digest for digest, parsed in todo}))


def import_file(store: Store, path: Path, *, batch_size: int = 100,
                progress: Progress | None = None) -> ImportReport:
    """Import a JSONL file in one pass (see the module docstring for the format)."""
    try:
        handle: BinaryIO = path.open("rb")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc}") from exc
    with handle:
        return import_lines(store, _lines(handle), batch_size=batch_size, progress=progress,
                            source_name=f"{path.name} line")


def _lines(handle: BinaryIO) -> Iterator[bytes]:
    yield from handle


def _transaction(store: Store) -> AbstractContextManager[None]:
    if store.backend_for("conversations").capabilities.transactions:
        return store.transaction("conversations")
    return nullcontext()


def _write(store: Store, batch: list[ParsedConversation], report: ImportReport,
           then: Callable[[], None] | None = None) -> None:
    """Save ``batch``, then run ``then``, in one transaction where the backend has them."""
    try:
        with _transaction(store):
            _save(store, batch, report.changed)
            if then is not None:
                then()
    except InvalidInput:
        for parsed in batch:  # name the line of the bad record
            parsed.validate()
        raise
    report.conversations += len(batch)
    report.messages += sum(len(parsed.messages) for parsed in batch)
    report.attachments += sum(len(p.references) + len(p.uploads) for p in batch)


def _save(store: Store, batch: list[ParsedConversation], changed: dict[str, int]) -> None:
    repository = store.conversations
    changed["conversations"] += repository.save_conversations(
        [parsed.conversation for parsed in batch])
    messages = [m for parsed in batch for m in parsed.messages]
    changed["messages"] += repository.save_messages(
        CheckedMessages(messages)
        if all(type(parsed.messages) is CheckedMessages for parsed in batch) else messages)
    references = [a for parsed in batch for a in parsed.references]
    if references:
        changed["attachments"] += repository.save_attachments(references)
    for parsed in batch:
        if not parsed.uploads:
            continue
        before = {a.id: a for a in repository.get_attachments(parsed.id)}
        for values, data in parsed.uploads:
            made = repository.attach(
                parsed.id, data, name=values["name"], media_type=values.get("media_type"),
                message_id=values.get("message_id"), attachment_id=values.get("id"))
            if before.get(made.id) != made:
                changed["attachments"] += 1
