"""Tasks on SQL: add a batch (names unique, dependencies checked), read, change, delete."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from runstore.backends._shared.runs import (
    as_status,
    check_change,
    check_lookup_id,
    not_found,
    plan_tasks,
    times_for,
)
from runstore.backends.sql.driver import session
from runstore.backends.sql.repositories.runs._base import (
    RunsBase,
    run_record,
    task_record,
    task_row,
)
from runstore.backends.sql.schema.runs import attempts, runs, task_dependencies, tasks
from runstore.errors import Conflict
from runstore.models.common import utcnow
from runstore.models.runs import RunStatus, Task, can_transition

__all__ = ["SqlTaskOperations"]


@functools.cache
def _status_update(new: RunStatus, guard: RunStatus | None) -> sa.Update:
    """``UPDATE tasks ... WHERE id = :task_id AND status IN (sources allowed to reach
    new) RETURNING *``, built once per (new, expected) pair."""
    sources = [s.value for s in RunStatus if can_transition(s, new)
               and (guard is None or s is guard)]
    now = sa.bindparam("now", type_=tasks.c.started_at.type)
    values: dict[str, Any] = {"status": new.value}
    if new is RunStatus.RUNNING:
        values["started_at"] = sa.func.coalesce(tasks.c.started_at, now)
    else:
        values.update(worker_id=None, lease_expires_at=None)
    if new.terminal:
        values["finished_at"] = now
    return (tasks.update()
            .where(tasks.c.id == sa.bindparam("task_id"),
                   # Constant status names, rendered inline: no per-call IN expansion.
                   tasks.c.status.in_([sa.literal_column(f"'{v}'") for v in sources])
                   if sources else sa.false())
            .values(**values).returning(*tasks.c))


class SqlTaskOperations(RunsBase):
    def add_tasks(self, run_id: str, specs: Iterable[Any], *,
                  status: RunStatus | str = RunStatus.PENDING) -> list[Task]:
        check_lookup_id(run_id, "run")
        lock_run = self._prepare("lock run", lambda: self._locking(
            sa.select(runs).where(runs.c.id == sa.bindparam("run_id"))))
        names = self._prepare("task names", lambda: sa.select(tasks.c.name, tasks.c.id)
                              .where(tasks.c.run_id == sa.bindparam("run_id")))
        with session(self._backend) as db:
            # Locking the run serializes batches of one run, so names stay unique.
            found = db.fetchone(lock_run, {"run_id": run_id})
            if found is None:
                raise not_found("run", run_id)
            existing: dict[str, str] = dict(db.fetchall(names, {"run_id": run_id}))
            plan = plan_tasks(run_record(found), existing, specs, status)
            if plan.tasks:
                db.execute(self._prepare("insert task", tasks.insert),
                           [self._bound(task_row(task)) for task in plan.tasks])
            if plan.edges:
                db.execute(self._prepare("insert edge", task_dependencies.insert),
                           [{"task_id": t, "depends_on_id": d} for t, d in plan.edges])
        return plan.tasks

    def get_tasks(self, run_id: str) -> list[Task]:
        check_lookup_id(run_id, "run")
        with self._backend.connect(write=False) as conn:
            rows = conn.execute(sa.select(tasks).where(tasks.c.run_id == run_id)
                                .order_by(tasks.c.id)).all()
            if not rows:
                self._run_row(conn, run_id)  # NotFound for an unknown run
        return [task_record(row) for row in rows]

    def get_task(self, task_id: str) -> Task:
        check_lookup_id(task_id, "task")
        with self._backend.connect(write=False) as conn:
            return task_record(self._task_row(conn, task_id))

    def update_task_status(self, task_id: str, status: RunStatus | str, *,
                           expected: RunStatus | str | None = None) -> Task:
        check_lookup_id(task_id, "task")
        new = as_status(status)
        guard = None if expected is None else as_status(expected, what="expected status")
        if self._backend.engine.dialect.update_returning:
            return self._retrying(lambda: self._update_returning(task_id, new, guard))
        with self._backend.connect() as conn:
            task = task_record(self._task_row(conn, task_id, lock=True))
            check_change("task", task_id, task.status, new, guard)
            started, finished = times_for(new, task.started_at, task.finished_at, utcnow())
            values: dict[str, Any] = {"status": new.value, "started_at": started,
                                      "finished_at": finished}
            if new is not RunStatus.RUNNING:
                values.update(worker_id=None, lease_expires_at=None)
            conn.execute(tasks.update().where(tasks.c.id == task_id).values(**values))
        values["status"] = new
        return task.model_copy(update=values)

    def _update_returning(self, task_id: str, new: RunStatus, guard: RunStatus | None) -> Task:
        """One guarded ``UPDATE ... RETURNING`` (the state machine in its WHERE clause);
        when it matches nothing, read the row to say why."""
        update = self._prepare(("status", new, guard), lambda: _status_update(new, guard))
        with session(self._backend) as db:
            row = db.fetchone(update, {"task_id": task_id,
                                       "now": self._backend.bind_time(utcnow())})
            if row is not None:
                return task_record(row)
            found = db.fetchone(self._prepare("task", lambda: sa.select(tasks).where(
                tasks.c.id == sa.bindparam("task_id"))), {"task_id": task_id})
        if found is None:
            raise not_found("task", task_id)
        task = task_record(found)
        check_change("task", task_id, task.status, new, guard)
        raise Conflict(f"task {task_id!r} changed concurrently; try again")

    def delete_task(self, task_id: str) -> None:
        check_lookup_id(task_id, "task")
        with self._backend.connect() as conn:
            task = task_record(self._task_row(conn, task_id, lock=True))
            dependents = conn.execute(
                sa.select(tasks.c.name)
                .join(task_dependencies, task_dependencies.c.task_id == tasks.c.id)
                .where(task_dependencies.c.depends_on_id == task_id)).scalars().all()
            if dependents:
                raise Conflict(f"task {task_id!r} ({task.name}) cannot be deleted: "
                               f"{sorted(dependents)} depend on it")
            conn.execute(attempts.delete().where(attempts.c.task_id == task_id))
            conn.execute(task_dependencies.delete().where(task_dependencies.c.task_id == task_id))
            conn.execute(tasks.delete().where(tasks.c.id == task_id))
