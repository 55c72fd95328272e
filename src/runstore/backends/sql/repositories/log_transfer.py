"""The transfer port of the SQL logs repository: ``log_records`` and ``log_events``.

Events are exported in ``(run_id, seq)`` order and imported with the dialect's bulk
path (``COPY`` on PostgreSQL) under the run's locked ``log_runs`` row, which is moved
forward so later appends continue after the copied events.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any, Final

import orjson
import sqlalchemy as sa
from pydantic import BaseModel

from runstore.backends._shared.log_transfer import LOG_RECORD_TYPES, new_events
from runstore.backends._shared.logs import PreparedEvent
from runstore.backends._shared.transfer import as_records, check_record_type
from runstore.backends.sql.bulk import insert_rows
from runstore.backends.sql.schema import log_events, log_records, log_runs
from runstore.backends.sql.transfer import TableTransfer, import_missing
from runstore.models.common import trusted
from runstore.models.logs import LogLevel, LogRecord
from runstore.models.transfer import RunLogEvent
from runstore.services.batches import grouped

__all__ = ["EVENT_COLUMNS", "SqlLogTransfer"]

# An event row: the run, its seq, then the fields of a PreparedEvent, named as the columns.
EVENT_COLUMNS: Final = ("run_id", "seq", *PreparedEvent._fields)
_LEVELS: Final = {level.rank: level for level in LogLevel}


def _record(row: sa.Row[Any]) -> LogRecord:
    return LogRecord.model_construct(
        run_id=row.run_id, workflow_id=row.workflow_id, workflow_version=row.workflow_version,
        status=row.status, started_at=row.started_at, finished_at=row.finished_at,
        duration_s=row.duration_s, error=row.error, attributes=orjson.loads(row.attributes))


def _record_row(record: LogRecord) -> dict[str, Any]:
    return {"run_id": record.run_id, "workflow_id": record.workflow_id,
            "workflow_version": record.workflow_version, "status": record.status,
            "started_at": record.started_at, "finished_at": record.finished_at,
            "duration_s": record.duration_s, "error": record.error,
            "attributes": orjson.dumps(record.attributes).decode()}


def _event(row: sa.Row[Any]) -> RunLogEvent:
    return trusted(RunLogEvent, {
        "ts": row.ts, "level": _LEVELS[row.level], "message": row.message,
        "data": orjson.loads(row.data), "task_id": row.task_id, "attempt_id": row.attempt_id,
        "kind": row.kind, "seq": row.seq, "run_id": row.run_id})


class SqlLogTransfer(TableTransfer):
    """Bulk export and import of log records and events."""

    _transfer_tables = dict(zip(LOG_RECORD_TYPES, [(log_records, _record),
                                                   (log_events, _event)], strict=True))

    def import_records(self, record_type: str, records: Sequence[BaseModel]) -> int:
        check_record_type(self, record_type)
        if record_type == "log_records":
            return import_missing(self._backend, log_records,
                                  [_record_row(r) for r in as_records(LogRecord, records)])
        written = 0
        with self._backend.connect() as conn:
            for run_id, events in grouped(as_records(RunLogEvent, records),
                                          lambda e: e.run_id).items():
                written += self._import_events(conn, run_id, events)
        return written

    def _import_events(self, conn: sa.Connection, run_id: str,
                       events: builtins.list[RunLogEvent]) -> int:
        head = sa.select(log_runs.c.last_seq, log_runs.c.max_level).where(
            log_runs.c.run_id == run_id)
        if self._backend.support.row_locks:
            head = head.with_for_update()
        current = conn.execute(head).first()
        seqs = [event.seq for event in events]
        present = set(conn.execute(sa.select(log_events.c.seq).where(
            log_events.c.run_id == run_id,
            log_events.c.seq.between(min(seqs), max(seqs)))).scalars())
        missing = new_events(events, present)
        if not missing:
            return 0
        insert_rows(self._backend, conn, log_events, EVENT_COLUMNS, [
            (run_id, e.seq, e.ts, e.level.rank, e.message, orjson.dumps(e.data).decode(),
             e.task_id, e.attempt_id, e.kind) for e in missing])
        last = missing[-1].seq
        level = max(event.level.rank for event in missing)
        if current is None:
            conn.execute(log_runs.insert().values(run_id=run_id, last_seq=last, max_level=level))
        elif last > current.last_seq or level > current.max_level:
            conn.execute(log_runs.update().where(log_runs.c.run_id == run_id).values(
                last_seq=max(last, int(current.last_seq)),
                max_level=max(level, int(current.max_level))))
        return len(missing)
