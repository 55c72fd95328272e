"""Logs kept in memory."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from runstore.backends._shared.logs import (
    as_filter,
    as_record,
    check_after_seq,
    check_recent,
    check_run_id,
    event_from_prepared,
    log_not_found,
    page_records,
    prepare_events,
)
from runstore.backends.memory.tables import MemoryTables
from runstore.backends.memory.transfer import MemoryLogTransfer
from runstore.errors import AlreadyExists
from runstore.models.common import Page
from runstore.models.logs import LogEvent, LogFilter, LogRecord, RunLog

__all__ = ["MemoryLogRepository"]

_EVENTS = "log_events"  # (run_id, seq) -> LogEvent
_RUNS = "log_runs"  # run_id -> (last_seq, max level rank)
_RECORDS = "log_records"  # run_id -> LogRecord

_CHUNK = 1000


class MemoryLogRepository(MemoryLogTransfer):
    """Events keyed by ``(run_id, seq)``, a per-run counter, and records by run id."""

    def __init__(self, tables: MemoryTables) -> None:
        self._tables = tables

    def append(self, run_id: str, events: LogEvent | Mapping[str, Any]
               | Iterable[LogEvent | Mapping[str, Any]]) -> int:
        check_run_id(run_id)
        prepared = prepare_events(events)
        with self._tables.transaction():
            last, level = self._tables.table(_RUNS).get(run_id, (0, 0))
            if not prepared:
                return int(last)
            for offset, event in enumerate(prepared, start=1):
                self._tables.put(_EVENTS, (run_id, last + offset),
                                 event_from_prepared(last + offset, event))
            last += len(prepared)
            level = max(level, *(event.level for event in prepared))
            self._tables.put(_RUNS, run_id, (last, level))
            return int(last)

    def store_log(self, record: LogRecord | Mapping[str, Any]) -> LogRecord:
        stored = as_record(record)
        with self._tables.transaction():
            if stored.run_id in self._tables.table(_RECORDS):
                raise AlreadyExists("log record", stored.run_id,
                                    f"run {stored.run_id!r} already has a log record")
            self._tables.put(_RECORDS, stored.run_id, stored)
        return stored

    def get_log(self, run_id: str) -> RunLog:
        check_run_id(run_id)
        with self._tables.lock:
            record = self._tables.table(_RECORDS).get(run_id)
            last, _ = self._tables.table(_RUNS).get(run_id, (0, 0))
            events = self._slice(run_id, 0, last)
        if record is None and not events:
            raise log_not_found(run_id)
        return RunLog(run_id=run_id, record=record, events=events)

    def get_record(self, run_id: str) -> LogRecord | None:
        check_run_id(run_id)
        with self._tables.lock:
            record: LogRecord | None = self._tables.table(_RECORDS).get(run_id)
        return record

    def iter_events(self, run_id: str, after_seq: int | None = None) -> Iterator[LogEvent]:
        check_run_id(run_id)
        position = check_after_seq(after_seq)
        while True:
            with self._tables.lock:
                last, _ = self._tables.table(_RUNS).get(run_id, (0, 0))
                chunk = self._slice(run_id, position, min(last, position + _CHUNK))
            if not chunk:
                return
            yield from chunk
            position = chunk[-1].seq or position

    def query(self, filter: LogFilter | Mapping[str, Any] | None = None) -> Page[LogRecord]:
        flt = as_filter(filter)
        with self._tables.lock:
            runs = self._tables.table(_RUNS)
            rows = [(record, runs.get(run_id, (0, None))[1])
                    for run_id, record in self._tables.table(_RECORDS).items()]
        return page_records(iter(rows), flt)

    def recent(self, workflow_id: str, version: int | None = None,
               limit: int = 10) -> builtins.list[LogRecord]:
        return self.query(check_recent(workflow_id, version, limit)).items

    def delete(self, run_id: str) -> None:
        check_run_id(run_id)
        with self._tables.transaction():
            last, _ = self._tables.table(_RUNS).get(run_id, (0, 0))
            if last == 0 and run_id not in self._tables.table(_RECORDS):
                raise log_not_found(run_id)
            for seq in range(1, last + 1):
                self._tables.delete(_EVENTS, (run_id, seq))
            self._tables.delete(_RUNS, run_id)
            self._tables.delete(_RECORDS, run_id)

    def _slice(self, run_id: str, after: int, upto: int) -> builtins.list[LogEvent]:
        events = self._tables.table(_EVENTS)
        found = (events.get((run_id, seq)) for seq in range(after + 1, upto + 1))
        return [event for event in found if event is not None]
