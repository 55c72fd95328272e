"""Workers on SQL: claim a task with a lease, heartbeat, release.

A claim is one transaction: pick a task and lock it, then lease it. PostgreSQL and
MariaDB/MySQL pick with ``SELECT ... FOR UPDATE SKIP LOCKED``, so concurrent workers
skip each other's rows instead of waiting; SQLite writers run in an immediate
transaction (one writer at a time); DuckDB is serialized in this process. Every
update is also guarded by the status it expects, so a lost race is never a double
claim. Lease times come from this process's UTC clock (see the port's docstring).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa

from runstore.backends._shared.runs import (
    LEASE_EXPIRED,
    check_json_object,
    check_lease,
    check_lookup_id,
    check_text,
    check_worker,
    lease_until,
    release_statuses,
    times_for,
)
from runstore.backends.sql.repositories.runs._base import (
    RunsBase,
    attempt_record,
    attempt_row,
    task_record,
)
from runstore.backends.sql.schema.runs import attempts, task_dependencies, tasks
from runstore.errors import Conflict
from runstore.models.common import JsonValue, new_id, utcnow
from runstore.models.runs import Attempt, Claim, RunStatus, Task

__all__ = ["SqlClaimOperations"]

_RUNNING = RunStatus.RUNNING.value
_READY = RunStatus.READY.value
_SUCCEEDED = RunStatus.SUCCEEDED.value
_TRIES = 16
_parent = tasks.alias("parent")


class SqlClaimOperations(RunsBase):
    def claim(self, worker_id: str, *, lease_seconds: float = 60,
              run_id: str | None = None) -> Claim | None:
        check_worker(worker_id)
        seconds = check_lease(lease_seconds)
        if run_id is not None:
            check_lookup_id(run_id, "run")
        return self._retrying(lambda: self._claim(worker_id, seconds, run_id))

    def _claim(self, worker_id: str, seconds: float, run_id: str | None) -> Claim | None:
        for _ in range(_TRIES):
            with self._backend.connect() as conn:
                if run_id is not None:
                    self._run_row(conn, run_id)
                now = utcnow()
                row = conn.execute(self._pick(self._expired(now, run_id))).first() \
                    or conn.execute(self._pick(self._ready(run_id))).first()
                if row is None:
                    return None
                claim = self._lease(conn, task_record(row), worker_id, seconds, now)
                if claim is not None:
                    return claim
        raise Conflict(f"worker {worker_id!r}: too many concurrent claims, try again")

    def heartbeat(self, claim: Claim, *, lease_seconds: float | None = None) -> Claim:
        seconds = check_lease(claim.lease_seconds if lease_seconds is None else lease_seconds)
        return self._retrying(lambda: self._heartbeat(claim, seconds))

    def _heartbeat(self, claim: Claim, seconds: float) -> Claim:
        until = lease_until(utcnow(), seconds)
        with self._backend.connect() as conn:
            changed = conn.execute(tasks.update().where(*_held(claim))
                                   .values(lease_expires_at=until)).rowcount
            if changed != 1:
                raise self._lost(conn, claim)
            conn.execute(attempts.update().where(attempts.c.id == claim.attempt_id)
                         .values(lease_expires_at=until))
        return Claim(worker_id=claim.worker_id,
                     task=claim.task.model_copy(update={"lease_expires_at": until}),
                     attempt=claim.attempt.model_copy(update={"lease_expires_at": until}),
                     lease_expires_at=until, lease_seconds=seconds)

    def release(self, claim: Claim, status: RunStatus | str, *, error: str | None = None,
                outputs: Mapping[str, JsonValue] | None = None) -> Attempt:
        attempt_status, task_status, default_error = release_statuses(status)
        check_text(error, "error", max_length=1_000_000)
        plain = check_json_object(outputs, "attempt outputs")
        return self._retrying(lambda: self._release(claim, attempt_status, task_status,
                                                    error or default_error, plain))

    def _release(self, claim: Claim, attempt_status: RunStatus, task_status: RunStatus,
                 error: str | None, plain: dict[str, Any] | None) -> Attempt:
        with self._backend.connect() as conn:
            task = task_record(self._task_row(conn, claim.task_id, lock=True))
            if not _holds(task, claim):
                raise self._lost(conn, claim)
            now = utcnow()
            attempt = attempt_record(self._attempt_row(conn, claim.attempt_id))
            _, finished = times_for(attempt_status, attempt.started_at, None, now)
            changes: dict[str, Any] = {"status": attempt_status, "error": error,
                                       "outputs": plain, "finished_at": finished,
                                       "lease_expires_at": None}
            conn.execute(attempts.update().where(attempts.c.id == claim.attempt_id).values(
                {**changes, "status": attempt_status.value,
                 "outputs": None if plain is None else orjson.dumps(plain).decode()}))
            _, task_finished = times_for(task_status, task.started_at, None, now)
            conn.execute(tasks.update().where(tasks.c.id == claim.task_id).values(
                status=task_status.value, finished_at=task_finished, lease_expires_at=None,
                worker_id=None))
        return attempt.model_copy(update=changes)

    # -- helpers ------------------------------------------------------------------------

    def _pick(self, query: sa.Select[Any]) -> sa.Select[Any]:
        query = query.order_by(tasks.c.id).limit(1)
        if self._backend.support.row_locks:
            return query.with_for_update(skip_locked=True)
        return query

    @staticmethod
    def _expired(now: datetime, run_id: str | None) -> sa.Select[Any]:
        query = sa.select(tasks).where(tasks.c.status == _RUNNING,
                                       tasks.c.lease_expires_at < now)
        return query if run_id is None else query.where(tasks.c.run_id == run_id)

    @staticmethod
    def _ready(run_id: str | None) -> sa.Select[Any]:
        unmet = (sa.select(sa.literal(1))
                 .select_from(task_dependencies.join(
                     _parent, _parent.c.id == task_dependencies.c.depends_on_id))
                 .where(task_dependencies.c.task_id == tasks.c.id,
                        _parent.c.status != _SUCCEEDED))
        query = sa.select(tasks).where(tasks.c.status == _READY, ~unmet.exists())
        return query if run_id is None else query.where(tasks.c.run_id == run_id)

    def _lease(self, conn: sa.Connection, task: Task, worker_id: str, seconds: float,
               now: datetime) -> Claim | None:
        """Lease ``task``; ``None`` when another worker changed it first."""
        until = lease_until(now, seconds)
        attempt = Attempt(id=new_id(), task_id=task.id, run_id=task.run_id,
                          number=self._next_number(conn, task.id), status=RunStatus.RUNNING,
                          worker_id=worker_id, lease_expires_at=until, created_at=now,
                          started_at=now)
        guard = [tasks.c.id == task.id, tasks.c.status == task.status.value]
        if task.status is RunStatus.RUNNING:
            guard.append(tasks.c.current_attempt_id == task.current_attempt_id)
        changes: dict[str, Any] = {"status": RunStatus.RUNNING, "current_attempt_id": attempt.id,
                                   "worker_id": worker_id, "lease_expires_at": until,
                                   "started_at": task.started_at or now}
        changed = conn.execute(tasks.update().where(*guard).values(
            {**changes, "status": _RUNNING})).rowcount
        if changed != 1:
            return None
        if task.status is RunStatus.RUNNING and task.current_attempt_id is not None:
            conn.execute(attempts.update().where(attempts.c.id == task.current_attempt_id)
                         .values(status=RunStatus.FAILED.value, error=LEASE_EXPIRED,
                                 finished_at=now, lease_expires_at=None))
        conn.execute(attempts.insert().values(**attempt_row(attempt)))
        return Claim(worker_id=worker_id, task=task.model_copy(update=changes), attempt=attempt,
                     lease_expires_at=until, lease_seconds=seconds)

    def _lost(self, conn: sa.Connection, claim: Claim) -> Conflict:
        now = conn.execute(sa.select(tasks.c.status).where(tasks.c.id == claim.task_id)).scalar()
        state = "deleted" if now is None else now
        return Conflict(f"worker {claim.worker_id!r} no longer holds task {claim.task_id!r} "
                        f"(it is {state})")


def _held(claim: Claim) -> list[sa.ColumnElement[bool]]:
    return [tasks.c.id == claim.task_id, tasks.c.status == _RUNNING,
            tasks.c.current_attempt_id == claim.attempt_id,
            tasks.c.worker_id == claim.worker_id]


def _holds(task: Task, claim: Claim) -> bool:
    return (task.status is RunStatus.RUNNING and task.current_attempt_id == claim.attempt_id
            and task.worker_id == claim.worker_id)
