"""Exclusive sections and claim selection for :mod:`run_documents`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from runstore.backends._shared.runs import check_lookup_id, not_found
from runstore.errors import Conflict
from runstore.models.runs import Claim, RunStatus, Task

if TYPE_CHECKING:
    from runstore.backends._shared.run_documents import DocumentStore, RunDocument

__all__ = ["HeldClaim", "LockedTask", "claimable", "next_number"]


class LockedTask:
    """``with LockedTask(documents, task_id) as document``: the task's run, held exclusively."""

    def __init__(self, documents: DocumentStore, task_id: str) -> None:
        self._docs, self._task_id = documents, task_id
        self._section: AbstractContextManager[None] | None = None

    def __enter__(self) -> RunDocument:
        docs = self._docs
        check_lookup_id(self._task_id, "task")
        run_id = docs.locate("task", self._task_id)
        if run_id is None:
            raise not_found("task", self._task_id)
        self._section = docs.exclusive(f"run:{run_id}")
        self._section.__enter__()
        try:
            document = docs.load(run_id)
            if document is None or self._task_id not in document.tasks:
                raise not_found("task", self._task_id)
        except BaseException as exc:
            self._section.__exit__(type(exc), exc, exc.__traceback__)
            raise
        return document

    def __exit__(self, *exc_info: Any) -> None:
        assert self._section is not None
        self._section.__exit__(*exc_info)


class HeldClaim(LockedTask):
    """Like ``_LockedTask``, but ``Conflict`` unless the claim's worker still holds it."""

    def __init__(self, documents: DocumentStore, claim: Claim) -> None:
        super().__init__(documents, claim.task_id)
        self._claim = claim

    def __enter__(self) -> RunDocument:
        document = super().__enter__()
        task = document.tasks[self._claim.task_id]
        if not _holds(task, self._claim):
            exc = Conflict(f"worker {self._claim.worker_id!r} no longer holds task "
                           f"{task.id!r} (it is {task.status.value})")
            self.__exit__(Conflict, exc, None)
            raise exc
        return document


def _holds(task: Task, claim: Claim) -> bool:
    return (task.status is RunStatus.RUNNING and task.current_attempt_id == claim.attempt_id
            and task.worker_id == claim.worker_id)


def next_number(document: RunDocument, task_id: str) -> int:
    return max((a.number for a in document.attempts.values() if a.task_id == task_id),
               default=0) + 1


def claimable(document: RunDocument, now: datetime) -> Task | None:
    """An expired lease first (oldest task), else a ready task whose dependencies succeeded."""
    tasks = list(document.tasks.values())
    for task in tasks:
        if task.status is RunStatus.RUNNING and task.lease_expires_at is not None \
                and task.lease_expires_at < now:
            return task
    status = {task.name: task.status for task in tasks}
    for task in _ready(tasks):
        if all(status.get(dep) is RunStatus.SUCCEEDED for dep in task.depends_on):
            return task
    return None


def _ready(tasks: list[Task]) -> Iterator[Task]:
    return (task for task in tasks if task.status is RunStatus.READY)
