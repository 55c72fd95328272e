"""Runs on SQL: create, get, list newest first with a cursor, change status, delete."""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa

from runstore.backends._shared.runs import (
    as_status,
    check_change,
    check_limit,
    check_lookup_id,
    check_text,
    new_run,
    times_for,
)
from runstore.backends.sql.driver import session
from runstore.backends.sql.repositories.runs._base import RunsBase, run_record, run_row
from runstore.backends.sql.schema.runs import attempts, runs, task_dependencies, tasks
from runstore.models.common import JsonValue, Page, utcnow
from runstore.models.runs import Run, RunStatus

__all__ = ["SqlRunOperations"]

class SqlRunOperations(RunsBase):
    def create_run(self, workflow_id: str, workflow_version: int | None = None, *,
                   metadata: Mapping[str, JsonValue] | None = None) -> Run:
        run = new_run(workflow_id, workflow_version, metadata)
        insert = self._prepare("insert run", runs.insert)
        with session(self._backend) as db:
            db.execute(insert, self._bound(run_row(run)))
        return run

    def get_run(self, run_id: str) -> Run:
        check_lookup_id(run_id, "run")
        with self._backend.connect(write=False) as conn:
            return run_record(self._run_row(conn, run_id))

    def list_runs(self, *, workflow_id: str | None = None, status: RunStatus | str | None = None,
                  limit: int = 100, cursor: str | None = None) -> Page[Run]:
        check_limit(limit)
        query = sa.select(runs).order_by(runs.c.id.desc()).limit(limit + 1)
        if workflow_id is not None:
            query = query.where(runs.c.workflow_id == check_lookup_id(workflow_id, "workflow"))
        if status is not None:
            query = query.where(runs.c.status == as_status(status).value)
        if cursor is not None:
            query = query.where(runs.c.id < check_lookup_id(cursor, "cursor"))
        with self._backend.connect(write=False) as conn:
            found = [run_record(row) for row in conn.execute(query)]
        more = len(found) > limit
        return Page[Run](items=found[:limit], next_cursor=found[limit - 1].id if more else None)

    def set_run_status(self, run_id: str, status: RunStatus | str, *, reason: str | None = None,
                       expected: RunStatus | str | None = None) -> Run:
        check_lookup_id(run_id, "run")
        new = as_status(status)
        guard = None if expected is None else as_status(expected, what="expected status")
        check_text(reason, "reason", max_length=10_000)
        with self._backend.connect() as conn:
            run = run_record(self._run_row(conn, run_id, lock=True))
            check_change("run", run_id, run.status, new, guard)
            started, finished = times_for(new, run.started_at, run.finished_at, utcnow())
            conn.execute(runs.update().where(runs.c.id == run_id).values(
                status=new.value, status_reason=reason, started_at=started,
                finished_at=finished))
        return run.model_copy(update={"status": new, "status_reason": reason,
                                      "started_at": started, "finished_at": finished})

    def delete_run(self, run_id: str) -> None:
        check_lookup_id(run_id, "run")
        with self._backend.connect() as conn:
            self._run_row(conn, run_id, lock=True)  # NotFound for an unknown run
            run_tasks = sa.select(tasks.c.id).where(tasks.c.run_id == run_id).scalar_subquery()
            conn.execute(task_dependencies.delete()
                         .where(task_dependencies.c.task_id.in_(run_tasks)))
            # Tasks before attempts: deleting a task waits for a claim holding it, so an
            # attempt that claim adds is committed, and seen, before attempts go.
            conn.execute(tasks.delete().where(tasks.c.run_id == run_id))
            conn.execute(attempts.delete().where(attempts.c.run_id == run_id))
            conn.execute(runs.delete().where(runs.c.id == run_id))
