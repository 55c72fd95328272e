"""Logs on SQL: events keyed ``(run_id, seq)``, a locked per-run counter, indexed records."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
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
)
from runstore.backends.sql.bulk import insert_rows
from runstore.backends.sql.driver import Prepared, fetch, on_connection
from runstore.backends.sql.repositories.log_transfer import EVENT_COLUMNS, SqlLogTransfer
from runstore.backends.sql.schema import log_events, log_records, log_runs
from runstore.backends.sql.schema.types import raw_time, utc_from_driver
from runstore.errors import AlreadyExists, Conflict
from runstore.models.common import Page, trusted, trusted_list
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
_EVENT_SELECT: Final = (log_events.c.seq, raw_time(log_events.c.ts), log_events.c.level,
                        log_events.c.message, log_events.c.data, log_events.c.task_id,
                        log_events.c.attempt_id, log_events.c.kind)
_LEVELS: Final = {level.rank: level for level in LogLevel}


def _events(rows: Sequence[tuple[Any, ...]]) -> builtins.list[LogEvent]:
    """Events from rows of ``_EVENT_SELECT`` (positional unpacking: this is the hot loop
    of reading a long log; SQLite's text times are parsed inline, and PostgreSQL's, UTC
    already, taken as they are, saving a call each)."""
    utc = utc_from_driver
    parse = datetime.fromisoformat
    text = bool(rows) and type(rows[0][1]) is str
    loads = orjson.loads
    return trusted_list(LogEvent, (
        {"ts": parse(ts + "+00:00") if text else ts if ts.tzinfo is UTC else utc(ts),
         "level": _LEVELS[level],
         "message": message, "data": {} if data == "{}" else loads(data),
         "task_id": task_id, "attempt_id": attempt_id, "kind": kind, "seq": seq}
        for seq, ts, level, message, data, task_id, attempt_id, kind in cast(
            "Iterable[tuple[Any, Any, Any, Any, Any, Any, Any, Any]]", rows)))


_RECORD_SELECT: Final = (
    log_records.c.run_id, log_records.c.workflow_id, log_records.c.workflow_version,
    log_records.c.status, raw_time(log_records.c.started_at), raw_time(log_records.c.finished_at),
    log_records.c.duration_s, log_records.c.error, log_records.c.attributes)


def _records(rows: Sequence[tuple[Any, ...]]) -> builtins.list[LogRecord]:
    """Records from rows of ``_RECORD_SELECT`` (SQLite's text times parsed inline, as in
    ``_events``)."""
    utc = utc_from_driver
    parse = datetime.fromisoformat
    text = bool(rows) and type(rows[0][4]) is str
    return trusted_list(LogRecord, (
        {"run_id": run_id, "workflow_id": workflow_id, "workflow_version": version,
         "status": status, "started_at": parse(started + "+00:00") if text else utc(started),
         "finished_at": None if finished is None
         else parse(finished + "+00:00") if text else utc(finished),
         "duration_s": duration, "error": error,
         "attributes": {} if attributes == "{}" else orjson.loads(attributes)}
        for (run_id, workflow_id, version, status, started, finished, duration, error,
             attributes) in rows))


def _query_statement(shape: frozenset[str]) -> sa.Select[Any]:
    """The query for a filter whose parameters are named ``shape`` (see ``query``)."""
    r = log_records.c
    statement = sa.select(*_RECORD_SELECT)
    if "level" in shape:
        statement = statement.join(log_runs, log_runs.c.run_id == r.run_id).where(
            log_runs.c.max_level >= sa.bindparam("level"))
    if "workflow_id" in shape:
        statement = statement.where(r.workflow_id == sa.bindparam("workflow_id"))
    if "workflow_version" in shape:
        statement = statement.where(r.workflow_version == sa.bindparam("workflow_version"))
    statuses = sorted(name for name in shape if name.startswith("status_"))
    if len(statuses) == 1:
        statement = statement.where(r.status == sa.bindparam(statuses[0]))
    elif statuses:
        statement = statement.where(r.status.in_([sa.bindparam(name) for name in statuses]))
    if "started_after" in shape:
        statement = statement.where(r.started_at >= sa.bindparam("started_after"))
    if "started_before" in shape:
        statement = statement.where(r.started_at < sa.bindparam("started_before"))
    if "error" in shape:
        statement = statement.where(
            sa.func.lower(r.error).like(sa.bindparam("error"), escape="!"))
    if "cursor_time" in shape:
        when: sa.BindParameter[Any] = sa.bindparam("cursor_time")
        statement = statement.where(sa.or_(r.started_at < when, sa.and_(
            r.started_at == when, r.run_id < sa.bindparam("cursor_run"))))
    return statement.order_by(r.started_at.desc(), r.run_id.desc()).limit(
        sa.bindparam("limit", type_=sa.Integer))


def _like(text: str) -> str:
    escaped = text.lower().replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"%{escaped}%"


class SqlLogRepository(SqlLogTransfer):
    """Appends lock the run's ``log_runs`` row (FOR UPDATE where the dialect has row
    locks; SQLite's IMMEDIATE transaction and DuckDB's single connection serialize
    otherwise), then write the batch with the dialect's bulk path."""

    def __init__(self, backend: SqlBackend) -> None:
        self._backend = backend
        self._get_record = backend.prepare(
            sa.select(*_RECORD_SELECT).where(log_records.c.run_id == sa.bindparam("run_id")))
        self._get_events = backend.prepare(
            sa.select(*_EVENT_SELECT).where(log_events.c.run_id == sa.bindparam("run_id"))
            .order_by(log_events.c.seq))
        self._queries: dict[frozenset[str], Prepared] = {}
        # The run's counter row, locked where the dialect has row locks (see the class).
        head = sa.select(log_runs.c.last_seq, log_runs.c.max_level).where(
            log_runs.c.run_id == sa.bindparam("run_id"))
        self._head = backend.prepare(
            head.with_for_update() if backend.support.row_locks else head)
        self._new_run = backend.prepare(log_runs.insert().values(
            run_id=sa.bindparam("run_id"), last_seq=sa.bindparam("last"),
            max_level=sa.bindparam("level")))
        self._advance_run = backend.prepare(
            log_runs.update().where(log_runs.c.run_id == sa.bindparam("run_id"))
            .values(last_seq=sa.bindparam("last"), max_level=sa.bindparam("level")))

    def append(self, run_id: str, events: LogEvent | Mapping[str, Any]
               | Iterable[LogEvent | Mapping[str, Any]]) -> int:
        check_run_id(run_id)
        prepared = prepare_events(events)
        top = max((event.level for event in prepared), default=0)
        for _ in range(_ATTEMPTS):
            try:
                with self._backend.connect() as conn:
                    db = on_connection(conn)
                    current = db.fetchone(self._head, {"run_id": run_id})
                    last = 0 if current is None else int(current[0])
                    if not prepared:
                        return last
                    new_last = last + len(prepared)
                    db.execute(self._new_run if current is None else self._advance_run, {
                        "run_id": run_id, "last": new_last,
                        "level": top if current is None else max(top, current[1])})
                    rows = [(run_id, seq, *event)
                            for seq, event in enumerate(prepared, start=last + 1)]
                    insert_rows(self._backend, conn, log_events, EVENT_COLUMNS, rows)
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
        records, events = fetch(self._backend, (self._get_record, {"run_id": run_id}),
                                (self._get_events, {"run_id": run_id}))
        if not records and not events:
            raise log_not_found(run_id)
        return trusted(RunLog, {"run_id": run_id,
                                "record": _records(records)[0] if records else None,
                                "events": _events(events)})

    def get_record(self, run_id: str) -> LogRecord | None:
        check_run_id(run_id)
        (records,) = fetch(self._backend, (self._get_record, {"run_id": run_id}))
        return _records(records)[0] if records else None

    def iter_events(self, run_id: str, after_seq: int | None = None) -> Iterator[LogEvent]:
        check_run_id(run_id)
        position = check_after_seq(after_seq)
        while True:
            query = (sa.select(*_EVENT_SELECT)
                     .where(log_events.c.run_id == run_id, log_events.c.seq > position)
                     .order_by(log_events.c.seq).limit(_CHUNK))
            with self._backend.connect(write=False) as conn:
                chunk = _events(conn.execute(query).fetchall())
            yield from chunk
            if len(chunk) < _CHUNK:
                return
            position = chunk[-1].seq or position

    def query(self, filter: LogFilter | Mapping[str, Any] | None = None) -> Page[LogRecord]:
        flt = as_filter(filter)
        params: dict[str, Any] = {"limit": flt.limit + 1}
        if flt.workflow_id is not None:
            params["workflow_id"] = flt.workflow_id
        if flt.workflow_version is not None:
            params["workflow_version"] = flt.workflow_version
        for n, status in enumerate(flt.status or ()):
            params[f"status_{n}"] = status
        if flt.started_after is not None:
            params["started_after"] = self._backend.bind_time(flt.started_after)
        if flt.started_before is not None:
            params["started_before"] = self._backend.bind_time(flt.started_before)
        if flt.level is not None:
            params["level"] = flt.level.rank
        if flt.error_contains is not None:
            params["error"] = _like(flt.error_contains)
        if flt.cursor is not None:
            when, params["cursor_run"] = decode_log_cursor(flt.cursor)
            params["cursor_time"] = self._backend.bind_time(when)
        shape = frozenset(params)
        prepared = self._queries.get(shape)
        if prepared is None:
            prepared = self._queries[shape] = self._backend.prepare(_query_statement(shape))
        (rows,) = fetch(self._backend, (prepared, params))
        records = _records(rows)
        page = records[:flt.limit]
        more = len(records) > flt.limit
        return trusted(Page, {"items": page,
                              "next_cursor": encode_log_cursor(page[-1]) if more else None})

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
