"""Archive runs into another store, then read them back and compare, run by run.

Used by :func:`runstore.prune` before it deletes anything. Each run is read through the
public API of the source (the run, its tasks and their attempts; its log record and
events; the conversations linked to it, with messages, attachment records and their
bytes) and written into the archive: runs, tasks and attempts through the archive's
transfer port (``import_records``, which keeps ids and times), the rest through the
public API, which keeps them too. Writes skip what the archive already holds, so an
interrupted archive is simply run again. Then every record is read back from the archive
and compared with the source; any difference raises ``RunstoreError`` naming the run and
the record, before anything is deleted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import suppress
from itertools import islice, zip_longest
from typing import Any, Final

from pydantic import BaseModel

from runstore.errors import AlreadyExists, NotFound, RunstoreError, UnsupportedOperation
from runstore.models.conversations import Conversation
from runstore.models.runs import Attempt
from runstore.ports.conversations import ConversationRepository
from runstore.services.transfer import Progress
from runstore.store import Store

__all__ = ["ArchiveMismatch", "archive_run", "archive_runs", "linked_conversations", "optional"]

_BATCH: Final = 1000


class ArchiveMismatch(RunstoreError):
    """The archive does not hold exactly what the source holds; nothing was deleted."""


def optional(store: Store, repository: str) -> Any:
    """``store.<repository>``, or ``None`` when its backend has no such repository."""
    try:
        return getattr(store, repository)
    except UnsupportedOperation:
        return None


def linked_conversations(conversations: ConversationRepository,
                         run_id: str) -> list[Conversation]:
    """Every conversation whose ``run_id`` is ``run_id``."""
    found: list[Conversation] = []
    cursor: str | None = None
    while True:
        page = conversations.list_conversations(run_id=run_id, limit=_BATCH, cursor=cursor)
        found.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return found


def archive_runs(source: Store, archive: Store, run_ids: Sequence[str], *,
                 progress: Progress | None = None) -> dict[str, int]:
    """Copy and verify every run of ``run_ids``; returns records verified per type."""
    counts: dict[str, int] = {}
    for run_id in run_ids:
        for name, count in archive_run(source, archive, run_id).items():
            counts[name] = counts.get(name, 0) + count
        if progress is not None:
            progress("archive", 1, len(run_ids))
    return counts


def archive_run(source: Store, archive: Store, run_id: str) -> dict[str, int]:
    """Copy one run and everything that belongs to it, then verify it in ``archive``."""
    counts: dict[str, int] = {}
    _run(source, archive, run_id, counts)
    logs = optional(source, "logs")
    if logs is not None:
        _log(logs, archive, run_id, counts)
    conversations = optional(source, "conversations")
    if conversations is not None:
        for conversation in linked_conversations(conversations, run_id):
            _conversation(source, archive, conversation, counts)
    return counts


def _mismatch(archive: Store, run_id: str, what: str) -> ArchiveMismatch:
    return ArchiveMismatch(f"archive {archive.url} does not match the source for run "
                           f"{run_id!r}: {what} differs; nothing was deleted")


def _same(archive: Store, run_id: str, what: str, mine: object, theirs: object) -> None:
    if mine != theirs:
        raise _mismatch(archive, run_id, what)


def _same_streams(archive: Store, run_id: str, what: str, mine: Iterable[BaseModel],
                  theirs: Iterable[BaseModel]) -> int:
    count = 0
    for left, right in zip_longest(mine, theirs):
        if left != right:
            raise _mismatch(archive, run_id, f"{what} #{count + 1}")
        count += 1
    return count


def _import(archive: Store, record_type: str, records: Sequence[BaseModel]) -> None:
    repository = archive.runs
    importer = getattr(repository, "import_records", None)
    types = getattr(repository, "record_types", None)
    if importer is None or types is None or record_type not in types():
        raise UnsupportedOperation(
            f"{archive.url} cannot import {record_type} records (the runs repository has no "
            "transfer port), so it cannot hold an archive of runs")
    importer(record_type, records)


def _run(source: Store, archive: Store, run_id: str, counts: dict[str, int]) -> None:
    try:
        run = source.runs.get_run(run_id)
        tasks = source.runs.get_tasks(run_id)
        attempts = {task.id: source.runs.list_attempts(task.id) for task in tasks}
    except NotFound:
        return  # only its log or conversations are left (an interrupted prune)
    flat: list[Attempt] = [attempt for found in attempts.values() for attempt in found]
    for record_type, records in (("runs", [run]), ("tasks", tasks), ("attempts", flat)):
        for start in range(0, len(records), _BATCH):
            _import(archive, record_type, records[start:start + _BATCH])
    try:
        _same(archive, run_id, "the run", run, archive.runs.get_run(run_id))
        _same(archive, run_id, "its tasks", tasks, archive.runs.get_tasks(run_id))
        for task_id, expected in attempts.items():
            _same(archive, run_id, f"the attempts of task {task_id!r}", expected,
                  archive.runs.list_attempts(task_id))
    except NotFound as exc:
        raise _mismatch(archive, run_id, f"a missing record ({exc})") from exc
    counts.update(runs=1, tasks=len(tasks), attempts=len(flat))


def _log(logs: Any, archive: Store, run_id: str, counts: dict[str, int]) -> None:
    """Archive the run's log record and events, streaming them (a log may hold millions
    of events), then read both logs back and compare them."""
    record = logs.get_record(run_id)
    pending = logs.iter_events(run_id)
    target = archive.logs
    if record is not None:
        with suppress(AlreadyExists):  # archived before: compared below
            target.store_log(record)
    # Events archived before (an interrupted prune) must be the source's first ones.
    for number, event in enumerate(target.iter_events(run_id), start=1):
        if next(pending, None) != event:
            raise _mismatch(archive, run_id, f"log event #{number}")
    while batch := list(islice(pending, _BATCH)):
        target.append(run_id, batch)
    _same(archive, run_id, "its log record", record, target.get_record(run_id))
    events = _same_streams(archive, run_id, "log event", logs.iter_events(run_id),
                           target.iter_events(run_id))
    if record is not None or events:  # (a run without a log has nothing to count)
        counts.update(log_records=0 if record is None else 1, log_events=events)


def _conversation(source: Store, archive: Store, conversation: Conversation,
                  counts: dict[str, int]) -> None:
    cid, target = conversation.id, archive.conversations
    target.save_conversation(conversation)
    messages = source.conversations.iter_messages(cid)
    while batch := list(islice(messages, _BATCH)):
        target.save_messages(batch)
    attachments = source.conversations.get_attachments(cid)
    for attachment in attachments:
        if not archive.artifacts.exists(attachment.sha256):
            with source.artifacts.open(attachment.sha256) as stream:
                archive.artifacts.put(stream, media_type=attachment.media_type)
    target.save_attachments(attachments)
    run_id = conversation.run_id or ""
    try:
        _same(archive, run_id, f"conversation {cid!r}", conversation,
              target.get_conversation(cid))
        messages_count = _same_streams(archive, run_id, f"a message of conversation {cid!r}",
                                       source.conversations.iter_messages(cid),
                                       target.iter_messages(cid))
        _same(archive, run_id, f"the attachments of conversation {cid!r}", attachments,
              target.get_attachments(cid))
        for attachment in attachments:
            _same(archive, run_id, f"the bytes of attachment {attachment.id!r}",
                  attachment.size, archive.artifacts.stat(attachment.sha256).size)
    except NotFound as exc:
        raise _mismatch(archive, run_id, f"a missing record ({exc})") from exc
    for name, count in (("conversations", 1), ("messages", messages_count),
                        ("attachments", len(attachments))):
        counts[name] = counts.get(name, 0) + count
