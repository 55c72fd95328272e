"""Logs on SQL: events keyed ``(run_id, seq)``, a locked per-run counter, indexed records."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final, cast

import orjson
import sqlalchemy as sa

from runstore.backends._shared.logs import (
    as_filter,
    as_record,
    check_after_seq,
    check_recent,
    check_run_id,
    log_not_found,
    prepare_events,
    stored_event,
)
from runstore.backends.sql.bulk import insert_rows
from runstore.backends.sql.schema import log_events, log_records, log_runs
from runstore.errors import AlreadyExists, Conflict
from runstore.models.common import Page
from runstore.models.logs import (
    LogEvent,
    LogFilter,
    LogLevel,
    LogRecord,
    RunLog,
    decode_log_cursor,
    encode_log_cursor,
)

if TYPE_CHECKING:
    from runstore.backends.sql.backend import SqlBackend

__all__ = ["SqlLogRepository"]

_ATTEMPTS: Final = 8
_CHUNK: Final = 1000
_EVENT_COLUMNS: Final = ("run_id", "seq", "ts", "level", "message", "data", "task_id",
                         "attempt_id", "kind")
_EVENT_SELECT: Final = (log_events.c.seq, log_events.c.ts, log_events.c.level,
                        log_events.c.message, log_events.c.data, log_events.c.task_id,
                        log_events.c.attempt_id, log_events.c.kind)
_LEVELS: Final = {level.rank: level for level in LogLevel}


def _events(result: sa.Result[Any]) -> builtins.list[LogEvent]:
    """Events from rows of ``_EVENT_SELECT`` (positional unpacking: this is the hot loop
    of reading a long log)."""
    return [stored_event({"ts": ts, "level": _LEVELS[level], "message": message,
                          "data": orjson.loads(data), "task_id": task_id,
                          "attempt_id": attempt_id, "kind": kind, "seq": seq})
            for seq, ts, level, message, data, task_id, attempt_id, kind in cast(
                "builtins.list[tuple[Any, Any, Any, Any, Any, Any, Any, Any]]",
                result.fetchall())]


def _record(row: sa.Row[Any]) -> LogRecord:
    return LogRecord.model_construct(
        run_id=row.run_id, workflow_id=row.workflow_id, workflow_version=row.workflow_version,
        status=row.status, started_at=row.started_at, finished_at=row.finished_at,
        duration_s=row.duration_s, error=row.error, attributes=orjson.loads(row.attributes))


def _like(text: str) -> str:
    escaped = text.lower().replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"%{escaped}%"


class SqlLogRepository:
    """Appends lock the run's ``log_runs`` row (FOR UPDATE where the dialect has row
    locks; SQLite's IMMEDIATE transaction and DuckDB's single connection serialize
    otherwise), then write the batch with the dialect's bulk path."""

    def __init__(self, backend: SqlBackend) -> None:
        self._backend = backend

    def append(self, run_id: str, events: LogEvent | Mapping[str, Any]
               | Iterable[LogEvent | Mapping[str, Any]]) -> int:
        check_run_id(run_id)
        prepared = prepare_events(events)
        top = max((event.level for event in prepared), default=0)
        for _ in range(_ATTEMPTS):
            try:
                with self._backend.connect() as conn:
                    head = sa.select(log_runs.c.last_seq, log_runs.c.max_level).where(
                        log_runs.c.run_id == run_id)
                    if self._backend.support.row_locks:
                        head = head.with_for_update()
                    current = conn.execute(head).first()
                    last = 0 if current is None else int(current.last_seq)
                    if not prepared:
                        return last
                    new_last = last + len(prepared)
                    if current is None:
                        conn.execute(log_runs.insert().values(
                            run_id=run_id, last_seq=new_last, max_level=top))
                    else:
                        conn.execute(log_runs.update().where(log_runs.c.run_id == run_id)
                                     .values(last_seq=new_last,
                                             max_level=max(top, current.max_level)))
                    rows = [(run_id, last + n, e.ts, e.level, e.message,
                             e.data, e.task_id, e.attempt_id, e.kind)
                            for n, e in enumerate(prepared, start=1)]
                    insert_rows(self._backend, conn, log_events, _EVENT_COLUMNS, rows)
                    return new_last
            except AlreadyExists as exc:
                # Another writer created this run's counter row first: try again, unless
                # the caller's transaction is aborted and only they can retry it.
                if self._backend.in_transaction:
                    raise Conflict(f"run {run_id!r} was appended to concurrently; retry "
                                   "the transaction") from exc
        raise Conflict(f"run {run_id!r}: too many concurrent appenders, try again")

    def store_log(self, record: LogRecord | Mapping[str, Any]) -> LogRecord:
        stored = as_record(record)
        try:
            with self._backend.connect() as conn:
                conn.execute(log_records.insert().values(
                    run_id=stored.run_id, workflow_id=stored.workflow_id,
                    workflow_version=stored.workflow_version, status=stored.status,
                    started_at=stored.started_at, finished_at=stored.finished_at,
                    duration_s=stored.duration_s, error=stored.error,
                    attributes=orjson.dumps(stored.attributes).decode()))
        except AlreadyExists as exc:
            raise AlreadyExists("log record", stored.run_id,
                                f"run {stored.run_id!r} already has a log record") from exc
        return stored

    def get_log(self, run_id: str) -> RunLog:
        check_run_id(run_id)
        with self._backend.connect(write=False) as conn:
            row = conn.execute(sa.select(log_records).where(log_records.c.run_id == run_id)
                               ).first()
            events = _events(conn.execute(
                sa.select(*_EVENT_SELECT).where(log_events.c.run_id == run_id)
                .order_by(log_events.c.seq)))
        if row is None and not events:
            raise log_not_found(run_id)
        return RunLog(run_id=run_id, record=None if row is None else _record(row), events=events)

    def iter_events(self, run_id: str, after_seq: int | None = None) -> Iterator[LogEvent]:
        check_run_id(run_id)
        position = check_after_seq(after_seq)
        while True:
            query = (sa.select(*_EVENT_SELECT)
                     .where(log_events.c.run_id == run_id, log_events.c.seq > position)
                     .order_by(log_events.c.seq).limit(_CHUNK))
            with self._backend.connect(write=False) as conn:
                chunk = _events(conn.execute(query))
            yield from chunk
            if len(chunk) < _CHUNK:
                return
            position = chunk[-1].seq or position

    def query(self, filter: LogFilter | Mapping[str, Any] | None = None) -> Page[LogRecord]:
        flt = as_filter(filter)
        r = log_records.c
        query = sa.select(log_records)
        if flt.level is not None:
            query = query.join(log_runs, log_runs.c.run_id == r.run_id).where(
                log_runs.c.max_level >= flt.level.rank)
        if flt.workflow_id is not None:
            query = query.where(r.workflow_id == flt.workflow_id)
        if flt.workflow_version is not None:
            query = query.where(r.workflow_version == flt.workflow_version)
        if flt.status is not None:
            query = query.where(r.status.in_(flt.status) if len(flt.status) > 1
                                else r.status == flt.status[0])
        if flt.started_after is not None:
            query = query.where(r.started_at >= flt.started_after)
        if flt.started_before is not None:
            query = query.where(r.started_at < flt.started_before)
        if flt.error_contains is not None:
            query = query.where(sa.func.lower(r.error).like(_like(flt.error_contains),
                                                             escape="!"))
        if flt.cursor is not None:
            when, run_id = decode_log_cursor(flt.cursor)
            query = query.where(sa.or_(r.started_at < when,
                                       sa.and_(r.started_at == when, r.run_id < run_id)))
        query = query.order_by(r.started_at.desc(), r.run_id.desc()).limit(flt.limit + 1)
        with self._backend.connect(write=False) as conn:
            records = [_record(row) for row in conn.execute(query)]
        page = records[:flt.limit]
        more = len(records) > flt.limit
        return Page(items=page, next_cursor=encode_log_cursor(page[-1]) if more else None)

    def recent(self, workflow_id: str, version: int | None = None,
               limit: int = 10) -> builtins.list[LogRecord]:
        return self.query(check_recent(workflow_id, version, limit)).items

    def delete(self, run_id: str) -> None:
        check_run_id(run_id)
        with self._backend.connect() as conn:
            removed = conn.execute(log_records.delete().where(log_records.c.run_id == run_id)
                                   ).rowcount
            removed += conn.execute(log_runs.delete().where(log_runs.c.run_id == run_id)
                                    ).rowcount
            conn.execute(log_events.delete().where(log_events.c.run_id == run_id))
        if not removed:
            raise log_not_found(run_id)
