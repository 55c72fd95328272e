"""The transfer port of the files backend's logs, metrics, results and definitions.

Exports walk the folders in sorted order and read one file at a time; imports write
the same files as the repositories' own writes do, under the same locks, skipping
records already there.
"""

from __future__ import annotations

import base64
import builtins
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final, TypeVar

import orjson

from runstore.backends._shared.log_transfer import LOG_RECORD_TYPES, new_events, run_event
from runstore.backends._shared.metric_transfer import (
    METRIC_RECORD_TYPES,
    aggregate_record,
    aggregate_text,
)
from runstore.backends._shared.result_transfer import (
    DEFINITION_RECORD_TYPES,
    RESULT_RECORD_TYPES,
    checked_definition,
    value_size,
)
from runstore.backends._shared.transfer import StreamedTransfer, as_records, check_record_type
from runstore.backends.files.atomic import atomic_write
from runstore.backends.files.layout import FileLayout
from runstore.errors import AlreadyExists, CorruptRecord
from runstore.models.common import JsonValue
from runstore.models.logs import LogEvent, LogRecord
from runstore.models.metrics import Pattern
from runstore.models.results import ResultRecord
from runstore.models.transfer import MetricAggregate, RunLogEvent, StoredDefinition, StoredResult
from runstore.services.batches import batched, grouped

__all__ = ["FileDefinitionTransfer", "FileLogTransfer", "FileMetricsTransfer",
           "FileResultTransfer"]

_VERSION_FILE: Final = re.compile(r"^v([1-9][0-9]*)\.json$")
M = TypeVar("M")


class _FileTransfer(StreamedTransfer):
    _layout: FileLayout


def _sorted_files(folder: Path, pattern: str) -> builtins.list[Path]:
    return sorted(folder.glob(pattern)) if folder.is_dir() else []


class FileLogTransfer(_FileTransfer):
    """``log_records`` (one file per run) and ``log_events`` (JSON Lines per run)."""

    iter_events: Callable[[str], Iterator[LogEvent]]
    store_log: Callable[[LogRecord], LogRecord]
    _last_seq: Callable[[Path], int]
    _read_record: Callable[[Path], LogRecord | None]

    def record_types(self) -> tuple[str, ...]:
        return LOG_RECORD_TYPES

    def _each(self, record_type: str) -> Iterator[Any]:
        if record_type == "log_records":
            for path in _sorted_files(self._layout.root / "logs" / "records", "*.json"):
                record = self._read_record(path)
                if record is not None:
                    yield record
            return
        for path in _sorted_files(self._layout.root / "logs" / "events", "*.jsonl"):
            run_id = path.name[:-len(".jsonl")]
            for event in self.iter_events(run_id):
                yield run_event(run_id, event)

    def import_records(self, record_type: str, records: Sequence[Any]) -> int:
        check_record_type(self, record_type)
        if record_type == "log_records":
            return _save_new(self.store_log, as_records(LogRecord, records))
        written = 0
        folder = self._layout.root / "logs" / "events"
        for run_id, group in grouped(as_records(RunLogEvent, records),
                                     lambda e: e.run_id).items():
            path = folder / f"{run_id}.jsonl"
            with self._layout.lock(f"log:{run_id}"):
                # Appends number events 1, 2, 3... so the file holds every seq up to its last.
                added = new_events(group, range(1, self._last_seq(path) + 1))
                if added:
                    _append_lines(path, [_line(event) for event in added],
                                  durable=self._layout.durable)
            written += len(added)
        return written


def _save_new(save: Callable[[M], object], records: Iterable[M]) -> int:
    """Save each record with the repository's own write; ``AlreadyExists`` means it is
    there already. Returns how many were saved."""
    written = 0
    for record in records:
        try:
            save(record)
        except AlreadyExists:
            continue
        written += 1
    return written


def _line(event: RunLogEvent) -> bytes:
    """An event as ``append`` writes it (``data`` and the ids only when set)."""
    line: dict[str, Any] = {"seq": event.seq, "ts": event.ts.isoformat(),
                            "level": event.level.value, "message": event.message}
    if event.data:
        line["data"] = event.data
    for key in ("task_id", "attempt_id", "kind"):
        value = getattr(event, key)
        if value is not None:
            line[key] = value
    return orjson.dumps(line)


def _append_lines(path: Path, lines: builtins.list[bytes], *, durable: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as handle:
        handle.write(b"\n".join(lines) + b"\n")
        handle.flush()
        if durable:
            os.fsync(handle.fileno())


class FileMetricsTransfer(_FileTransfer):
    """``metric_aggregates`` (``metrics/<workflow>/v<N>.json``) and ``metric_patterns``."""

    _root: Path

    def record_types(self) -> tuple[str, ...]:
        return METRIC_RECORD_TYPES

    record_pattern: Callable[[Pattern], Pattern]

    def _each(self, record_type: str) -> Iterator[Any]:
        for folder in _sorted_files(self._root, "*"):
            if not folder.is_dir():
                continue
            if record_type == "metric_patterns":
                for path in _sorted_files(folder / "patterns", "*.json"):
                    yield _pattern(path)
                continue
            versions = sorted((int(m.group(1)), path) for path in folder.iterdir()
                              if (m := _VERSION_FILE.match(path.name)))
            for version, path in versions:
                for bucket, stored in sorted(_read_json(path).items()):
                    yield aggregate_record(folder.name, version, bucket, stored)

    def import_records(self, record_type: str, records: Sequence[Any]) -> int:
        check_record_type(self, record_type)
        if record_type == "metric_patterns":
            return _save_new(self.record_pattern, as_records(Pattern, records))
        written = 0
        groups = grouped(as_records(MetricAggregate, records),
                         lambda r: (r.workflow_id, r.workflow_version))
        for (workflow_id, version), group in groups.items():
            path = self._root / workflow_id / f"v{version}.json"
            with self._layout.lock(f"metrics:{workflow_id}"):
                body = _read_json(path) if path.exists() else {}
                added = {r.bucket: orjson.loads(aggregate_text(r)) for r in group
                         if r.bucket not in body}
                if added:
                    body = dict(sorted({**body, **added}.items()))
                    atomic_write(path, orjson.dumps(body) + b"\n", durable=self._layout.durable)
            written += len(added)
        return written


def _read_json(path: Path) -> dict[str, Any]:
    try:
        body = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise CorruptRecord(str(path), f"unreadable JSON ({exc})") from exc
    if not isinstance(body, dict):
        raise CorruptRecord(str(path), "expected a JSON object")
    return body


def _pattern(path: Path) -> Pattern:
    try:
        return Pattern.model_validate(_read_json(path))
    except ValueError as exc:
        raise CorruptRecord(str(path), f"unreadable pattern ({exc})") from exc


class FileResultTransfer(_FileTransfer):
    """``results``: each file's record with its inline bytes (base64 in the file)."""

    _root: Path

    def record_types(self) -> tuple[str, ...]:
        return RESULT_RECORD_TYPES

    has: Callable[[str], bool]
    _write: Callable[[ResultRecord, bytes | None], None]

    def export_records(self, record_type: str, *,
                       batch_size: int = 1000) -> Iterator[builtins.list[Any]]:
        check_record_type(self, record_type)
        yield from batched(self._each(record_type), batch_size, weight=value_size)

    def _each(self, record_type: str) -> Iterator[StoredResult]:
        for path in _sorted_files(self._root, "??/*.json"):
            body = _read_json(path)
            try:
                encoded = body.pop("value_base64", None)
                value = None if encoded is None else base64.b64decode(encoded, validate=True)
                yield StoredResult.model_validate({**body, "value": value})
            except (ValueError, TypeError) as exc:
                raise CorruptRecord(str(path), f"unreadable result ({exc})") from exc

    def import_records(self, record_type: str, records: Sequence[Any]) -> int:
        check_record_type(self, record_type)
        written = 0
        for stored in as_records(StoredResult, records):
            if not self.has(stored.key):
                self._write(stored.record(), stored.value)
                written += 1
        return written


class FileDefinitionTransfer(_FileTransfer):
    """``definitions``: ``definitions/<h[:2]>/<h>.json``, checked against the hash."""

    _root: Path

    def record_types(self) -> tuple[str, ...]:
        return DEFINITION_RECORD_TYPES

    get: Callable[[str], JsonValue]
    has: Callable[[str], bool]
    put: Callable[[JsonValue], str]

    def _each(self, record_type: str) -> Iterator[StoredDefinition]:
        for path in _sorted_files(self._root, "??/*.json"):
            content_hash = path.name[:-len(".json")]
            yield StoredDefinition.model_construct(content_hash=content_hash,
                                                   definition=self.get(content_hash))

    def import_records(self, record_type: str, records: Sequence[Any]) -> int:
        check_record_type(self, record_type)
        written = 0
        for stored in as_records(StoredDefinition, records):
            checked_definition(stored)
            if not self.has(stored.content_hash):
                self.put(stored.definition)
                written += 1
        return written
