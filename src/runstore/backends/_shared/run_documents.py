"""The runs repository for backends that keep each run as one document (memory, files).

A :class:`RunDocument` holds a run with its tasks and attempts. A backend provides a
:class:`DocumentStore` (load, save, an id index, named exclusive sections) and
:class:`DocumentRunRepository` does the rest, so both backends follow the same rules.
Every write loads the run's document under the run's exclusive section, changes a
private copy and saves it. ``claim`` also holds the ``runs.claim`` section, so two
workers never lease the same task. Times come from this process's UTC clock.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from runstore.backends._shared.run_sections import (
    HeldClaim,
    LockedTask,
    claimable,
    next_number,
)
from runstore.backends._shared.runs import (
    LEASE_EXPIRED,
    as_status,
    attempt_status_change,
    check_change,
    check_json_object,
    check_lease,
    check_limit,
    check_lookup_id,
    check_text,
    check_worker,
    lease_until,
    new_run,
    not_found,
    plan_tasks,
    release_statuses,
    times_for,
)
from runstore.errors import Conflict, CorruptRecord
from runstore.models.common import JsonValue, Page, new_id, utcnow
from runstore.models.runs import Attempt, Claim, Run, RunStatus, Task

__all__ = ["DocumentRunRepository", "DocumentStore", "IndexKind", "RunDocument"]

IndexKind = Literal["task", "attempt"]


@dataclass(slots=True)
class RunDocument:
    """A run with its tasks and attempts (dicts keep insertion order, which is id order)."""

    run: Run
    tasks: dict[str, Task] = field(default_factory=dict)
    attempts: dict[str, Attempt] = field(default_factory=dict)

    def copy(self) -> RunDocument:
        """A copy whose dicts can change without touching this one (records are frozen)."""
        return RunDocument(self.run, dict(self.tasks), dict(self.attempts))


class DocumentStore(Protocol):
    """Where a backend keeps run documents."""

    def exclusive(self, name: str) -> AbstractContextManager[None]:
        """A section excluding every other thread (and process) using ``name``."""
        ...

    def load(self, run_id: str) -> RunDocument | None:
        """A private copy of the run's document, or ``None``."""
        ...

    def save(self, document: RunDocument) -> None: ...

    def remove(self, run_id: str) -> None:
        """Forget the run's document (nothing happens when it is absent)."""
        ...

    def run_ids(self) -> list[str]:
        """Every run id, ascending (oldest first)."""
        ...

    def locate(self, kind: IndexKind, key: str) -> str | None:
        """The run id holding a task or an attempt."""
        ...

    def index(self, kind: IndexKind, key: str, run_id: str) -> None: ...

    def unindex(self, kind: IndexKind, key: str) -> None: ...


class DocumentRunRepository:
    """:class:`runstore.ports.runs.RunRepository` over a :class:`DocumentStore`."""

    def __init__(self, documents: DocumentStore) -> None:
        self._docs = documents

    # -- runs ---------------------------------------------------------------------------

    def create_run(self, workflow_id: str, workflow_version: int | None = None, *,
                   metadata: Mapping[str, JsonValue] | None = None) -> Run:
        run = new_run(workflow_id, workflow_version, metadata)
        with self._docs.exclusive(f"run:{run.id}"):
            self._docs.save(RunDocument(run))
        return run

    def get_run(self, run_id: str) -> Run:
        return self._load(check_lookup_id(run_id, "run")).run

    def list_runs(self, *, workflow_id: str | None = None, status: RunStatus | str | None = None,
                  limit: int = 100, cursor: str | None = None) -> Page[Run]:
        check_limit(limit)
        if workflow_id is not None:
            check_lookup_id(workflow_id, "workflow")
        wanted = None if status is None else as_status(status)
        if cursor is not None:
            check_lookup_id(cursor, "cursor")
        found: list[Run] = []
        for run_id in reversed(self._docs.run_ids()):
            if cursor is not None and run_id >= cursor:
                continue
            document = self._load_or_skip(run_id)
            if document is None:
                continue
            run = document.run
            if (workflow_id is None or run.workflow_id == workflow_id) and \
                    (wanted is None or run.status is wanted):
                found.append(run)
                if len(found) > limit:
                    break
        more = len(found) > limit
        return Page[Run](items=found[:limit], next_cursor=found[limit - 1].id if more else None)

    def set_run_status(self, run_id: str, status: RunStatus | str, *, reason: str | None = None,
                       expected: RunStatus | str | None = None) -> Run:
        check_lookup_id(run_id, "run")
        new = as_status(status)
        guard = None if expected is None else as_status(expected, what="expected status")
        check_text(reason, "reason", max_length=10_000)
        with self._docs.exclusive(f"run:{run_id}"):
            document = self._load(run_id)
            run = document.run
            check_change("run", run_id, run.status, new, guard)
            started, finished = times_for(new, run.started_at, run.finished_at, utcnow())
            document.run = run.model_copy(update={"status": new, "status_reason": reason,
                                                  "started_at": started, "finished_at": finished})
            self._docs.save(document)
        return document.run

    def delete_run(self, run_id: str) -> None:
        check_lookup_id(run_id, "run")
        with self._docs.exclusive(f"run:{run_id}"):
            document = self._load(run_id)
            self._docs.remove(run_id)  # first: the run is gone even if unindexing stops
            for task_id in document.tasks:
                self._docs.unindex("task", task_id)
            for attempt_id in document.attempts:
                self._docs.unindex("attempt", attempt_id)

    # -- tasks --------------------------------------------------------------------------

    def add_tasks(self, run_id: str, specs: Iterable[Any], *,
                  status: RunStatus | str = RunStatus.PENDING) -> list[Task]:
        check_lookup_id(run_id, "run")
        with self._docs.exclusive(f"run:{run_id}"):
            document = self._load(run_id)
            existing = {task.name: task.id for task in document.tasks.values()}
            plan = plan_tasks(document.run, existing, specs, status)
            for task in plan.tasks:
                document.tasks[task.id] = task
                self._docs.index("task", task.id, run_id)
            self._docs.save(document)
        return plan.tasks

    def get_tasks(self, run_id: str) -> list[Task]:
        return list(self._load(check_lookup_id(run_id, "run")).tasks.values())

    def get_task(self, task_id: str) -> Task:
        return self._task_document(task_id).tasks[task_id]

    def update_task_status(self, task_id: str, status: RunStatus | str, *,
                           expected: RunStatus | str | None = None) -> Task:
        new = as_status(status)
        guard = None if expected is None else as_status(expected, what="expected status")
        with self._locked_task(task_id) as document:
            task = document.tasks[task_id]
            check_change("task", task_id, task.status, new, guard)
            started, finished = times_for(new, task.started_at, task.finished_at, utcnow())
            update: dict[str, Any] = {"status": new, "started_at": started,
                                      "finished_at": finished}
            if new is not RunStatus.RUNNING:
                update.update(worker_id=None, lease_expires_at=None)
            task = document.tasks[task_id] = task.model_copy(update=update)
            self._docs.save(document)
        return task

    def delete_task(self, task_id: str) -> None:
        with self._locked_task(task_id) as document:
            task = document.tasks[task_id]
            dependents = [t.name for t in document.tasks.values() if task.name in t.depends_on]
            if dependents:
                raise Conflict(f"task {task_id!r} ({task.name}) cannot be deleted: "
                               f"{sorted(dependents)} depend on it")
            del document.tasks[task_id]
            for attempt in [a for a in document.attempts.values() if a.task_id == task_id]:
                del document.attempts[attempt.id]
                self._docs.unindex("attempt", attempt.id)
            self._docs.save(document)
            self._docs.unindex("task", task_id)

    # -- attempts -----------------------------------------------------------------------

    def create_attempt(self, task_id: str, *, executor: str | None = None,
                       external_id: str | None = None) -> Attempt:
        check_text(executor, "executor")
        check_text(external_id, "external_id")
        with self._locked_task(task_id) as document:
            task = document.tasks[task_id]
            if task.status.terminal:
                raise Conflict(f"task {task_id!r} is {task.status.value}; "
                               "no attempts can be added")
            attempt = Attempt(id=new_id(), task_id=task_id, run_id=task.run_id,
                              number=next_number(document, task_id), executor=executor,
                              external_id=external_id, created_at=utcnow())
            document.attempts[attempt.id] = attempt
            document.tasks[task_id] = task.model_copy(update={"current_attempt_id": attempt.id})
            self._docs.index("attempt", attempt.id, task.run_id)
            self._docs.save(document)
        return attempt

    def get_attempt(self, attempt_id: str) -> Attempt:
        return self._attempt_document(attempt_id).attempts[attempt_id]

    def list_attempts(self, task_id: str) -> list[Attempt]:
        document = self._task_document(task_id)
        return sorted((a for a in document.attempts.values() if a.task_id == task_id),
                      key=lambda a: a.number)

    def get_current_attempt(self, task_id: str) -> Attempt:
        document = self._task_document(task_id)
        current = document.tasks[task_id].current_attempt_id
        if current is None or current not in document.attempts:
            raise not_found("attempt", f"current of task {task_id}")
        return document.attempts[current]

    def get_active_attempts(self, run_id: str) -> list[Attempt]:
        document = self._load(check_lookup_id(run_id, "run"))
        return [a for a in document.attempts.values() if not a.status.terminal]

    def update_attempt(self, attempt_id: str, *, status: RunStatus | str | None = None,
                       external_id: str | None = None, error: str | None = None,
                       outputs: Mapping[str, JsonValue] | None = None,
                       expected: RunStatus | str | None = None) -> Attempt:
        new = None if status is None else as_status(status)
        guard = None if expected is None else as_status(expected, what="expected status")
        update: dict[str, Any] = {}
        if external_id is not None:
            update["external_id"] = check_text(external_id, "external_id")
        if error is not None:
            update["error"] = check_text(error, "error", max_length=1_000_000)
        if outputs is not None:
            update["outputs"] = check_json_object(outputs, "attempt outputs")
        check_lookup_id(attempt_id, "attempt")
        run_id = self._docs.locate("attempt", attempt_id)
        if run_id is None:
            raise not_found("attempt", attempt_id)
        with self._docs.exclusive(f"run:{run_id}"):
            document = self._load(run_id)
            attempt = document.attempts.get(attempt_id)
            if attempt is None:
                raise not_found("attempt", attempt_id)
            update.update(attempt_status_change(attempt, guard, new))
            attempt = document.attempts[attempt_id] = attempt.model_copy(update=update)
            self._docs.save(document)
        return attempt

    # -- workers ------------------------------------------------------------------------

    def claim(self, worker_id: str, *, lease_seconds: float = 60,
              run_id: str | None = None) -> Claim | None:
        check_worker(worker_id)
        seconds = check_lease(lease_seconds)
        with self._docs.exclusive("runs.claim"):
            if run_id is not None:
                self._load(check_lookup_id(run_id, "run"))
            for candidate in [run_id] if run_id is not None else self._docs.run_ids():
                with self._docs.exclusive(f"run:{candidate}"):
                    document = self._load_or_skip(candidate)
                    now = utcnow()
                    task = None if document is None else claimable(document, now)
                    if document is None or task is None:
                        continue
                    claim = self._lease(document, task, worker_id, seconds, now)
                    self._docs.save(document)
                    return claim
        return None

    def heartbeat(self, claim: Claim, *, lease_seconds: float | None = None) -> Claim:
        seconds = check_lease(claim.lease_seconds if lease_seconds is None else lease_seconds)
        with self._held(claim) as document:
            until = lease_until(utcnow(), seconds)
            task = document.tasks[claim.task_id].model_copy(update={"lease_expires_at": until})
            attempt = document.attempts[claim.attempt_id].model_copy(
                update={"lease_expires_at": until})
            document.tasks[task.id], document.attempts[attempt.id] = task, attempt
            self._docs.save(document)
        return Claim(worker_id=claim.worker_id, task=task, attempt=attempt,
                     lease_expires_at=until, lease_seconds=seconds)

    def release(self, claim: Claim, status: RunStatus | str, *, error: str | None = None,
                outputs: Mapping[str, JsonValue] | None = None) -> Attempt:
        attempt_status, task_status, default_error = release_statuses(status)
        check_text(error, "error", max_length=1_000_000)
        plain = check_json_object(outputs, "attempt outputs")
        with self._held(claim) as document:
            now = utcnow()
            task = document.tasks[claim.task_id]
            attempt = document.attempts[claim.attempt_id]
            _, finished = times_for(attempt_status, attempt.started_at, None, now)
            attempt = attempt.model_copy(update={
                "status": attempt_status, "error": error or default_error, "outputs": plain,
                "finished_at": finished, "lease_expires_at": None})
            _, task_finished = times_for(task_status, task.started_at, None, now)
            task = task.model_copy(update={"status": task_status, "finished_at": task_finished,
                                           "lease_expires_at": None, "worker_id": None})
            document.tasks[task.id], document.attempts[attempt.id] = task, attempt
            self._docs.save(document)
        return attempt

    # -- helpers ------------------------------------------------------------------------

    def _lease(self, document: RunDocument, task: Task, worker_id: str, seconds: float,
               now: datetime) -> Claim:
        if task.status is RunStatus.RUNNING and task.current_attempt_id in document.attempts:
            old = document.attempts[task.current_attempt_id]
            document.attempts[old.id] = old.model_copy(update={
                "status": RunStatus.FAILED, "error": LEASE_EXPIRED, "finished_at": now,
                "lease_expires_at": None})
        until = lease_until(now, seconds)
        attempt = Attempt(id=new_id(), task_id=task.id, run_id=task.run_id,
                          number=next_number(document, task.id), status=RunStatus.RUNNING,
                          worker_id=worker_id, lease_expires_at=until, created_at=now,
                          started_at=now)
        task = task.model_copy(update={
            "status": RunStatus.RUNNING, "current_attempt_id": attempt.id,
            "worker_id": worker_id, "lease_expires_at": until,
            "started_at": task.started_at or now})
        document.tasks[task.id] = task
        document.attempts[attempt.id] = attempt
        self._docs.index("attempt", attempt.id, task.run_id)
        return Claim(worker_id=worker_id, task=task, attempt=attempt, lease_expires_at=until,
                     lease_seconds=seconds)

    def _held(self, claim: Claim) -> AbstractContextManager[RunDocument]:
        return HeldClaim(self._docs, claim)

    def _load(self, run_id: str) -> RunDocument:
        document = self._docs.load(run_id)
        if document is None:
            raise not_found("run", run_id)
        return document

    def _load_or_skip(self, run_id: str) -> RunDocument | None:
        try:
            return self._docs.load(run_id)
        except CorruptRecord as exc:
            warnings.warn(f"skipping {exc}", stacklevel=3)
            return None

    def _task_document(self, task_id: str) -> RunDocument:
        check_lookup_id(task_id, "task")
        run_id = self._docs.locate("task", task_id)
        document = None if run_id is None else self._docs.load(run_id)
        if document is None or task_id not in document.tasks:
            raise not_found("task", task_id)
        return document

    def _attempt_document(self, attempt_id: str) -> RunDocument:
        check_lookup_id(attempt_id, "attempt")
        run_id = self._docs.locate("attempt", attempt_id)
        document = None if run_id is None else self._docs.load(run_id)
        if document is None or attempt_id not in document.attempts:
            raise not_found("attempt", attempt_id)
        return document

    def _locked_task(self, task_id: str) -> AbstractContextManager[RunDocument]:
        return LockedTask(self._docs, task_id)
