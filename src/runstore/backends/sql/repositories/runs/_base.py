"""Rows to records and back, and what every part of the SQL runs repository shares."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, TypeVar

import orjson
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from runstore.backends._shared.runs import not_found
from runstore.backends.sql.driver import Prepared
from runstore.backends.sql.schema.runs import attempts, runs, tasks
from runstore.backends.sql.schema.types import utc_from_driver
from runstore.errors import Conflict
from runstore.models.common import trusted
from runstore.models.runs import Attempt, Run, RunStatus, Task

if TYPE_CHECKING:
    from runstore.backends.sql.backend import SqlBackend

T = TypeVar("T")

_RETRIES = 8

__all__ = ["RunsBase", "attempt_record", "attempt_row", "run_record", "task_record", "task_row"]


_STATUS: Final = {status.value: status for status in RunStatus}
_TIME_COLUMNS: Final = ("created_at", "started_at", "finished_at", "lease_expires_at")


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _utc(value: Any) -> datetime | None:
    return None if value is None else utc_from_driver(value)


# The record builders take a row of every column of the table, in table order, either
# from SQLAlchemy or straight from the driver (``driver.session``): timestamps may be
# aware, naive or SQLite text, JSON is text.

def run_record(row: Sequence[Any]) -> Run:
    (id_, workflow_id, version, status, reason, metadata, created, started, finished) = row
    return trusted(Run, {
        "id": id_, "workflow_id": workflow_id, "workflow_version": version,
        "status": _STATUS[status], "status_reason": reason,
        "metadata": orjson.loads(metadata), "created_at": utc_from_driver(created),
        "started_at": _utc(started), "finished_at": _utc(finished)})


def run_row(run: Run) -> dict[str, Any]:
    return {"id": run.id, "workflow_id": run.workflow_id,
            "workflow_version": run.workflow_version, "status": run.status.value,
            "status_reason": run.status_reason, "metadata": _json(run.metadata),
            "created_at": run.created_at, "started_at": run.started_at,
            "finished_at": run.finished_at}


def task_record(row: Sequence[Any]) -> Task:
    (id_, run_id, name, kind, depends_on, spec, status, attempt_id, worker_id, lease,
     created, started, finished) = row
    return trusted(Task, {
        "id": id_, "run_id": run_id, "name": name, "kind": kind,
        "depends_on": orjson.loads(depends_on), "spec": orjson.loads(spec),
        "status": _STATUS[status], "current_attempt_id": attempt_id, "worker_id": worker_id,
        "lease_expires_at": _utc(lease), "created_at": utc_from_driver(created),
        "started_at": _utc(started), "finished_at": _utc(finished)})


def task_row(task: Task) -> dict[str, Any]:
    return {"id": task.id, "run_id": task.run_id, "name": task.name, "kind": task.kind,
            "depends_on": _json(task.depends_on), "spec": _json(task.spec),
            "status": task.status.value, "current_attempt_id": task.current_attempt_id,
            "worker_id": task.worker_id, "lease_expires_at": task.lease_expires_at,
            "created_at": task.created_at, "started_at": task.started_at,
            "finished_at": task.finished_at}


def attempt_record(row: Sequence[Any]) -> Attempt:
    (id_, task_id, run_id, number, status, executor, external_id, worker_id, error, outputs,
     lease, created, started, finished) = row
    return trusted(Attempt, {
        "id": id_, "task_id": task_id, "run_id": run_id, "number": number,
        "status": _STATUS[status], "executor": executor, "external_id": external_id,
        "worker_id": worker_id, "error": error,
        "outputs": None if outputs is None else orjson.loads(outputs),
        "lease_expires_at": _utc(lease), "created_at": utc_from_driver(created),
        "started_at": _utc(started), "finished_at": _utc(finished)})


def attempt_row(attempt: Attempt) -> dict[str, Any]:
    return {"id": attempt.id, "task_id": attempt.task_id, "run_id": attempt.run_id,
            "number": attempt.number, "status": attempt.status.value,
            "executor": attempt.executor, "external_id": attempt.external_id,
            "worker_id": attempt.worker_id, "error": attempt.error,
            "outputs": None if attempt.outputs is None else _json(attempt.outputs),
            "lease_expires_at": attempt.lease_expires_at, "created_at": attempt.created_at,
            "started_at": attempt.started_at, "finished_at": attempt.finished_at}


class RunsBase:
    """The backend, and row reads with the right lock for the dialect."""

    def __init__(self, backend: SqlBackend) -> None:
        self._backend = backend
        self._prepared: dict[object, Prepared] = {}

    def _prepare(self, key: object, build: Callable[[], sa.ClauseElement]) -> Prepared:
        """The statement ``build()`` compiled for this database, once per ``key``."""
        found = self._prepared.get(key)
        if found is None:
            found = self._prepared[key] = self._backend.prepare(build())
        return found

    def _bound(self, row: dict[str, Any]) -> dict[str, Any]:
        """``row`` (from ``run_row``, ``task_row``...) with its timestamps as the driver
        takes them, for ``driver.session``."""
        bind = self._backend.bind_time
        for name in _TIME_COLUMNS:
            value = row.get(name)
            if value is not None:
                row[name] = bind(value)
        return row

    def _retrying(self, work: Callable[[], T]) -> T:
        """Run ``work`` (one transaction) again when the database chose it as a deadlock
        victim, unless it is part of the caller's transaction (only they can retry)."""
        for attempt in range(_RETRIES):
            try:
                return work()
            except Conflict as exc:
                deadlock = isinstance(exc.__cause__, sa_exc.DBAPIError)
                if not deadlock or self._backend.in_transaction or attempt == _RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    def _locking(self, query: sa.Select[Any]) -> sa.Select[Any]:
        """``FOR UPDATE`` where rows can be locked (PostgreSQL, MySQL). SQLite writers
        already hold the database lock (BEGIN IMMEDIATE); DuckDB is serialized."""
        return query.with_for_update() if self._backend.support.row_locks else query

    def _run_row(self, conn: sa.Connection, run_id: str, *, lock: bool = False) -> sa.Row[Any]:
        query = sa.select(runs).where(runs.c.id == run_id)
        row = conn.execute(self._locking(query) if lock else query).first()
        if row is None:
            raise not_found("run", run_id)
        return row

    def _task_row(self, conn: sa.Connection, task_id: str, *, lock: bool = False) -> sa.Row[Any]:
        query = sa.select(tasks).where(tasks.c.id == task_id)
        row = conn.execute(self._locking(query) if lock else query).first()
        if row is None:
            raise not_found("task", task_id)
        return row

    def _attempt_row(self, conn: sa.Connection, attempt_id: str, *,
                     lock: bool = False) -> sa.Row[Any]:
        query = sa.select(attempts).where(attempts.c.id == attempt_id)
        row = conn.execute(self._locking(query) if lock else query).first()
        if row is None:
            raise not_found("attempt", attempt_id)
        return row

    @staticmethod
    def _next_number(conn: sa.Connection, task_id: str) -> int:
        top = conn.execute(sa.select(sa.func.max(attempts.c.number))
                           .where(attempts.c.task_id == task_id)).scalar()
        return int(top or 0) + 1
