"""Attempts (and external jobs) on SQL: numbered per task, the task's current one, updates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
import sqlalchemy as sa

from runstore.backends._shared.runs import (
    as_status,
    attempt_status_change,
    check_json_object,
    check_lookup_id,
    check_text,
    not_found,
)
from runstore.backends.sql.repositories.runs._base import (
    RunsBase,
    attempt_record,
    attempt_row,
    task_record,
)
from runstore.backends.sql.schema.runs import attempts, tasks
from runstore.errors import Conflict
from runstore.models.common import JsonValue, new_id, utcnow
from runstore.models.runs import TERMINAL_STATUSES, Attempt, RunStatus

__all__ = ["SqlAttemptOperations"]

_TERMINAL = [status.value for status in TERMINAL_STATUSES]


class SqlAttemptOperations(RunsBase):
    def create_attempt(self, task_id: str, *, executor: str | None = None,
                       external_id: str | None = None) -> Attempt:
        check_lookup_id(task_id, "task")
        check_text(executor, "executor")
        check_text(external_id, "external_id")
        with self._backend.connect() as conn:
            # The task row lock serializes attempt numbers of one task.
            task = task_record(self._task_row(conn, task_id, lock=True))
            if task.status.terminal:
                raise Conflict(f"task {task_id!r} is {task.status.value}; "
                               "no attempts can be added")
            attempt = Attempt(id=new_id(), task_id=task_id, run_id=task.run_id,
                              number=self._next_number(conn, task_id), executor=executor,
                              external_id=external_id, created_at=utcnow())
            conn.execute(attempts.insert().values(**attempt_row(attempt)))
            conn.execute(tasks.update().where(tasks.c.id == task_id)
                         .values(current_attempt_id=attempt.id))
        return attempt

    def get_attempt(self, attempt_id: str) -> Attempt:
        check_lookup_id(attempt_id, "attempt")
        with self._backend.connect(write=False) as conn:
            return attempt_record(self._attempt_row(conn, attempt_id))

    def list_attempts(self, task_id: str) -> list[Attempt]:
        check_lookup_id(task_id, "task")
        with self._backend.connect(write=False) as conn:
            rows = conn.execute(sa.select(attempts).where(attempts.c.task_id == task_id)
                                .order_by(attempts.c.number)).all()
            if not rows:
                self._task_row(conn, task_id)  # NotFound for an unknown task
        return [attempt_record(row) for row in rows]

    def get_current_attempt(self, task_id: str) -> Attempt:
        check_lookup_id(task_id, "task")
        with self._backend.connect(write=False) as conn:
            row = conn.execute(
                sa.select(attempts).join(tasks, tasks.c.current_attempt_id == attempts.c.id)
                .where(tasks.c.id == task_id)).first()
            if row is None:
                self._task_row(conn, task_id)
                raise not_found("attempt", f"current of task {task_id}")
        return attempt_record(row)

    def get_active_attempts(self, run_id: str) -> list[Attempt]:
        check_lookup_id(run_id, "run")
        with self._backend.connect(write=False) as conn:
            rows = conn.execute(sa.select(attempts).where(
                attempts.c.run_id == run_id, attempts.c.status.not_in(_TERMINAL))
                .order_by(attempts.c.id)).all()
            if not rows:
                self._run_row(conn, run_id)
        return [attempt_record(row) for row in rows]

    def update_attempt(self, attempt_id: str, *, status: RunStatus | str | None = None,
                       external_id: str | None = None, error: str | None = None,
                       outputs: Mapping[str, JsonValue] | None = None,
                       expected: RunStatus | str | None = None) -> Attempt:
        check_lookup_id(attempt_id, "attempt")
        new = None if status is None else as_status(status)
        guard = None if expected is None else as_status(expected, what="expected status")
        changes: dict[str, Any] = {}
        if external_id is not None:
            changes["external_id"] = check_text(external_id, "external_id")
        if error is not None:
            changes["error"] = check_text(error, "error", max_length=1_000_000)
        if outputs is not None:
            changes["outputs"] = check_json_object(outputs, "attempt outputs")
        with self._backend.connect() as conn:
            attempt = attempt_record(self._attempt_row(conn, attempt_id, lock=True))
            changes.update(attempt_status_change(attempt, guard, new))
            if changes:
                values = dict(changes)
                if "status" in values:
                    values["status"] = values["status"].value
                if values.get("outputs") is not None:
                    values["outputs"] = orjson.dumps(values["outputs"]).decode()
                conn.execute(attempts.update().where(attempts.c.id == attempt_id)
                             .values(**values))
        return attempt.model_copy(update=changes)
