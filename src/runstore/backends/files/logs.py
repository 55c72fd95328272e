"""Logs as JSON Lines: ``logs/events/<run_id>.jsonl`` (one event per line, appended with
one write and an fsync under a per-run file lock) and ``logs/records/<run_id>.json``.

A torn last line (a writer killed mid-append) is ignored with a warning when reading,
and cut off by the next append, so readers never fail on it.
"""

from __future__ import annotations

import builtins
import os
import warnings
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import orjson
from pydantic import ValidationError

from runstore.backends._shared.logs import (
    as_filter,
    as_record,
    check_after_seq,
    check_recent,
    check_run_id,
    log_not_found,
    page_records,
    prepare_events,
    stored_event,
)
from runstore.backends.files.atomic import atomic_write
from runstore.backends.files.layout import FileLayout
from runstore.backends.files.transfer import FileLogTransfer
from runstore.errors import AlreadyExists, CorruptRecord
from runstore.models.common import Page
from runstore.models.logs import LEVEL_RANKS, LogEvent, LogFilter, LogLevel, LogRecord, RunLog

__all__ = ["FileLogRepository"]

_TAIL: Final = 64 * 1024
_LEVEL_NAMES: Final = {rank: level.value for level, rank in LEVEL_RANKS.items()}


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class FileLogRepository(FileLogTransfer):
    """One JSON Lines file of events and one JSON record file per run."""

    def __init__(self, layout: FileLayout) -> None:
        self._layout = layout
        self._events = layout.root / "logs" / "events"
        self._records = layout.root / "logs" / "records"

    def append(self, run_id: str, events: LogEvent | Mapping[str, Any]
               | Iterable[LogEvent | Mapping[str, Any]]) -> int:
        check_run_id(run_id)
        prepared = prepare_events(events)
        path = self._events / f"{run_id}.jsonl"
        with self._layout.lock(f"log:{run_id}"):
            last = self._last_seq(path)
            if not prepared:
                return last
            lines = []
            for n, event in enumerate(prepared, start=last + 1):
                line = {"seq": n, "ts": event.ts.isoformat(), "level": _LEVEL_NAMES[event.level],
                        "message": event.message}
                if event.data != "{}":
                    line["data"] = orjson.Fragment(event.data)
                for key in ("task_id", "attempt_id", "kind"):
                    value = getattr(event, key)
                    if value is not None:
                        line[key] = value
                lines.append(orjson.dumps(line))
            self._events.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                _write_all(fd, b"\n".join(lines) + b"\n")
                if self._layout.durable:
                    os.fsync(fd)
            finally:
                os.close(fd)
            return last + len(prepared)

    def store_log(self, record: LogRecord | Mapping[str, Any]) -> LogRecord:
        stored = as_record(record)
        path = self._records / f"{stored.run_id}.json"
        with self._layout.lock(f"log:{stored.run_id}"):
            if path.exists():
                raise AlreadyExists("log record", stored.run_id,
                                    f"run {stored.run_id!r} already has a log record")
            atomic_write(path, orjson.dumps(stored.model_dump(mode="json"),
                                            option=orjson.OPT_INDENT_2) + b"\n",
                         durable=self._layout.durable)
        return stored

    def get_log(self, run_id: str) -> RunLog:
        check_run_id(run_id)
        record = self._read_record(self._records / f"{run_id}.json")
        events = list(self.iter_events(run_id))
        if record is None and not events:
            raise log_not_found(run_id)
        return RunLog(run_id=run_id, record=record, events=events)

    def get_record(self, run_id: str) -> LogRecord | None:
        check_run_id(run_id)
        return self._read_record(self._records / f"{run_id}.json")

    def iter_events(self, run_id: str, after_seq: int | None = None) -> Iterator[LogEvent]:
        check_run_id(run_id)
        position = check_after_seq(after_seq)
        path = self._events / f"{run_id}.jsonl"
        try:
            handle = open(path, "rb")  # noqa: SIM115  (closed by the generator's finally)
        except FileNotFoundError:
            return
        with handle:
            for number, line in enumerate(handle, start=1):
                if not line.endswith(b"\n"):
                    warnings.warn(f"{path}: ignoring a torn last line (an interrupted append)",
                                  stacklevel=2)
                    return
                event = _parse(line, path, number)
                if event is not None and (event.seq or 0) > position:
                    yield event

    def query(self, filter: LogFilter | Mapping[str, Any] | None = None) -> Page[LogRecord]:
        flt = as_filter(filter)
        return page_records(self._scan(flt.level is not None), flt)

    def recent(self, workflow_id: str, version: int | None = None,
               limit: int = 10) -> builtins.list[LogRecord]:
        return self.query(check_recent(workflow_id, version, limit)).items

    def delete(self, run_id: str) -> None:
        check_run_id(run_id)
        with self._layout.lock(f"log:{run_id}"):
            removed = False
            for path in (self._records / f"{run_id}.json", self._events / f"{run_id}.jsonl"):
                try:
                    path.unlink()
                    removed = True
                except FileNotFoundError:
                    pass
        if not removed:
            raise log_not_found(run_id)

    def count(self) -> int:
        """How many log records are stored."""
        return sum(1 for _ in self._records.glob("*.json")) if self._records.is_dir() else 0

    # -- helpers ---------------------------------------------------------------------------

    def _scan(self, with_level: bool) -> Iterator[tuple[LogRecord, int | None]]:
        if not self._records.is_dir():
            return
        for path in sorted(self._records.glob("*.json")):
            try:
                record = self._read_record(path)
            except CorruptRecord as exc:
                warnings.warn(f"skipping {exc}", stacklevel=3)
                continue
            if record is not None:
                level = self._max_level(record.run_id) if with_level else None
                yield record, level

    def _max_level(self, run_id: str) -> int | None:
        ranks = [event.level.rank for event in self.iter_events(run_id)]
        return max(ranks, default=None)

    @staticmethod
    def _read_record(path: Path) -> LogRecord | None:
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            return LogRecord.model_validate(orjson.loads(raw))
        except (orjson.JSONDecodeError, ValidationError) as exc:
            raise CorruptRecord(str(path), f"unreadable log record ({exc})") from exc

    @staticmethod
    def _last_seq(path: Path) -> int:
        """The last complete event's ``seq``, cutting off a torn last line (call under the
        run's lock)."""
        try:
            handle = open(path, "r+b")  # noqa: SIM115
        except FileNotFoundError:
            return 0
        with handle:
            size = handle.seek(0, os.SEEK_END)
            start = max(0, size - _TAIL)
            handle.seek(start)
            tail = handle.read()
            while start > 0 and tail.count(b"\n") < 2:
                start = max(0, start - _TAIL)
                handle.seek(start)
                tail = handle.read()
            if tail and not tail.endswith(b"\n"):
                cut = tail.rfind(b"\n") + 1
                warnings.warn(f"{path}: cutting off a torn last line (an interrupted append)",
                              stacklevel=3)
                handle.truncate(start + cut)
                tail = tail[:cut]
            lines = tail.rstrip(b"\n").rsplit(b"\n", 1)
            if not lines[-1]:
                return 0
            try:
                return int(orjson.loads(lines[-1])["seq"])
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise CorruptRecord(str(path), f"last event is unreadable ({exc})") from exc


def _parse(line: bytes, path: Path, number: int) -> LogEvent | None:
    try:
        data = orjson.loads(line)
        return stored_event({
            "ts": datetime.fromisoformat(data["ts"]), "level": LogLevel(data.get("level", "info")),
            "message": data.get("message", ""), "data": data.get("data", {}),
            "task_id": data.get("task_id"), "attempt_id": data.get("attempt_id"),
            "kind": data.get("kind"), "seq": int(data["seq"])})
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        warnings.warn(f"{path}:{number}: skipping an unreadable event ({exc})", stacklevel=3)
        return None

