"""``runstore doctor`` on a files store: every record file that does not parse, or whose
content no longer matches its hash or its name.

Each check yields findings; with ``repair`` a damaged file is moved under
``ROOT/quarantine/`` (same relative path) and the finding says which records went with
it. Files that hold many records (log events, attachment lists) keep their good records:
see :mod:`runstore.backends.files.health_logs` and ``health_conversations``.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
from pydantic import ValidationError

from runstore.backends.files.atomic import fsync_dir
from runstore.backends.files.layout import FileLayout
from runstore.backends.files.logs import FileLogRepository
from runstore.backends.files.metrics import FileMetricsRepository
from runstore.backends.files.runs import FileRunDocuments
from runstore.errors import CorruptRecord
from runstore.models.metrics import Pattern
from runstore.models.results import ResultRecord
from runstore.ports.health import Finding
from runstore.services.doctor import quarantine_path

__all__ = ["check_records", "keep_a_copy"]

# A check of one file: raises CorruptRecord when the file is damaged, else returns.
FileCheck = Callable[[Path], None]


def check_records(layout: FileLayout, *, repair: bool) -> list[Finding]:
    """Results, definitions, metrics, runs and logs; then conversations (workflows and
    the manifest are checked by the backend itself)."""
    from runstore.backends.files.health_conversations import check_conversations
    from runstore.backends.files.health_logs import check_log_events

    root = layout.root
    findings: list[Finding] = []
    for folder, pattern, check, lost in (
        ("results", "??/*.json", _result, _result_lost),
        ("definitions", "??/*.json", _definition, lambda p: f"definition {p.stem}"),
        ("metrics", "*/v*.json", _aggregates,
         lambda p: f"metric aggregates of workflow {p.parent.name!r} {p.stem}"),
        ("metrics", "*/patterns/*.json", _pattern,
         lambda p: f"pattern {p.stem!r} of workflow {p.parent.parent.name!r}"),
        ("runs", "*.json", _run(layout), lambda p: f"run {p.stem!r} with its tasks and attempts"),
        ("logs/records", "*.json", _log_record, lambda p: f"the log record of run {p.stem!r}"),
    ):
        for path in _files(root / folder, pattern):
            try:
                check(path)
            except CorruptRecord as exc:
                action = layout.quarantine(path) if repair else ""
                findings.append(Finding(str(path), exc.reason, lost=lost(path), action=action))
    findings += check_log_events(layout, repair=repair)
    findings += check_conversations(layout, repair=repair)
    return findings


def keep_a_copy(layout: FileLayout, path: Path) -> Path:
    """Put the bytes of ``path`` under ``ROOT/quarantine/`` before it is rewritten in
    place (a hard link when the file system allows it, else a copy); returns where."""
    target = quarantine_path(layout.root, path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(path, target)
    except OSError:
        shutil.copyfile(path, target)
    if layout.durable:
        fsync_dir(target.parent)
    return target


def _files(folder: Path, pattern: str) -> Iterator[Path]:
    if folder.is_dir():
        yield from (path for path in sorted(folder.glob(pattern))
                    if path.is_file() and not path.name.startswith("."))


def _json(path: Path) -> object:
    try:
        return orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise CorruptRecord(str(path), f"does not parse ({exc})") from exc


def _result(path: Path) -> None:
    body = _json(path)
    try:
        assert isinstance(body, dict), "not a JSON object"
        encoded = body.pop("value_base64", None)
        inline = None if encoded is None else base64.b64decode(encoded, validate=True)
        record = ResultRecord.model_validate(body)
    except (AssertionError, ValueError, TypeError, ValidationError) as exc:
        raise CorruptRecord(str(path), f"not a result ({type(exc).__name__}: {exc})") from exc
    if hashlib.sha256(record.key.encode()).hexdigest() != path.stem:
        raise CorruptRecord(str(path), f"holds key {record.key!r}, not the key of its name")
    if inline is not None and (hashlib.sha256(inline).hexdigest() != record.content_hash
                               or len(inline) != record.size):
        raise CorruptRecord(str(path), f"the value of result {record.key!r} does not match "
                            "its content_hash")
    if record.ok and inline is None and record.artifact is None:
        raise CorruptRecord(str(path), f"result {record.key!r} has neither a value nor a blob")


def _result_lost(path: Path) -> str:
    """The key of a damaged result, when it can still be read."""
    try:
        key = orjson.loads(path.read_bytes()).get("key")
    except (OSError, orjson.JSONDecodeError, AttributeError):
        key = None
    return f"result {key!r}" if isinstance(key, str) else "one cached result"


def _definition(path: Path) -> None:
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise CorruptRecord(str(path), f"cannot be read ({exc})") from exc
    if hashlib.sha256(body).hexdigest() != path.stem:
        raise CorruptRecord(str(path), "definition does not match its content hash")


def _aggregates(path: Path) -> None:
    if not path.stem[1:].isdigit():
        return  # not a version file
    FileMetricsRepository._read(path)


def _pattern(path: Path) -> None:
    try:
        Pattern.model_validate(_json(path))
    except ValidationError as exc:
        raise CorruptRecord(str(path), f"not a pattern ({exc.errors()[0]['msg']})") from exc


def _run(layout: FileLayout) -> FileCheck:
    documents = FileRunDocuments(layout)

    def check(path: Path) -> None:
        documents.load(path.stem)

    return check


def _log_record(path: Path) -> None:
    FileLogRepository._read_record(path)
