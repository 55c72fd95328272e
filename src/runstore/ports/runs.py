"""The runs repository port: runs, tasks, attempts (external jobs), and worker claims."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from runstore.models.common import JsonValue, Page
from runstore.models.runs import Attempt, Claim, Run, RunStatus, Task, TaskSpec

__all__ = ["RunRepository", "StatusInput", "TaskSpecInput"]

TaskSpecInput = TaskSpec | Mapping[str, Any]
StatusInput = RunStatus | str


class RunRepository(Protocol):
    """The state store of a workflow engine, safe for many workers on many machines.

    Status changes follow :data:`runstore.models.runs.ALLOWED_TRANSITIONS`; a change the
    state machine forbids (anything out of a terminal status) raises ``Conflict``, and
    so does a change whose ``expected`` status no longer holds (compare-and-set). The
    store sets ``created_at``, ``started_at`` (first time running) and ``finished_at``
    (terminal). Leases are measured with the clock of the process that claims, in UTC,
    so workers on several machines need synchronized clocks (NTP).
    """

    # -- runs ---------------------------------------------------------------------------

    def create_run(self, workflow_id: str, workflow_version: int | None = None, *,
                   metadata: Mapping[str, JsonValue] | None = None) -> Run:
        """A new run in status ``pending`` with a fresh, time-sortable id."""
        ...

    def get_run(self, run_id: str) -> Run:
        """One run; ``NotFound`` when absent."""
        ...

    def list_runs(self, *, workflow_id: str | None = None, status: StatusInput | None = None,
                  limit: int = 100, cursor: str | None = None) -> Page[Run]:
        """Runs newest first; pass ``next_cursor`` back as ``cursor`` for the next page."""
        ...

    def set_run_status(self, run_id: str, status: StatusInput, *, reason: str | None = None,
                       expected: StatusInput | None = None) -> Run:
        """Change a run's status (and its reason); ``Conflict`` when not allowed."""
        ...

    def delete_run(self, run_id: str) -> None:
        """Remove a run with its tasks, their attempts and any lease on them, whatever its
        status; ``NotFound`` when absent. Logs and conversations are other repositories:
        :func:`runstore.prune` removes those too."""
        ...

    # -- tasks --------------------------------------------------------------------------

    def add_tasks(self, run_id: str, specs: Iterable[TaskSpecInput], *,
                  status: StatusInput = RunStatus.PENDING) -> list[Task]:
        """Add tasks to a run, all or none, in status ``pending`` (or ``ready``).

        Names are unique within the run (``AlreadyExists`` for a name already there);
        ``depends_on`` names tasks of this batch or of the run; unknown names, repeated
        names and cycles are ``InvalidInput``. ``Conflict`` when the run has finished.
        """
        ...

    def get_tasks(self, run_id: str) -> list[Task]:
        """The run's tasks in the order they were added; ``NotFound`` for an unknown run."""
        ...

    def get_task(self, task_id: str) -> Task:
        """One task; ``NotFound`` when absent."""
        ...

    def update_task_status(self, task_id: str, status: StatusInput, *,
                           expected: StatusInput | None = None) -> Task:
        """Change a task's status; leaving ``running`` ends any lease on it."""
        ...

    def delete_task(self, task_id: str) -> None:
        """Remove a task and its attempts; ``Conflict`` while other tasks depend on it."""
        ...

    # -- attempts -----------------------------------------------------------------------

    def create_attempt(self, task_id: str, *, executor: str | None = None,
                       external_id: str | None = None) -> Attempt:
        """A new ``pending`` attempt numbered after the task's last one; it becomes the
        task's current attempt. ``Conflict`` when the task has finished."""
        ...

    def get_attempt(self, attempt_id: str) -> Attempt:
        """One attempt; ``NotFound`` when absent."""
        ...

    def list_attempts(self, task_id: str) -> list[Attempt]:
        """The task's attempts by number; ``NotFound`` for an unknown task."""
        ...

    def get_current_attempt(self, task_id: str) -> Attempt:
        """The task's current attempt; ``NotFound`` when it has none."""
        ...

    def get_active_attempts(self, run_id: str) -> list[Attempt]:
        """The run's attempts not in a terminal status (for example running external
        jobs to poll), oldest first."""
        ...

    def update_attempt(self, attempt_id: str, *, status: StatusInput | None = None,
                       external_id: str | None = None, error: str | None = None,
                       outputs: Mapping[str, JsonValue] | None = None,
                       expected: StatusInput | None = None) -> Attempt:
        """Change an attempt's status and/or record its job id, error or outputs."""
        ...

    # -- workers ------------------------------------------------------------------------

    def claim(self, worker_id: str, *, lease_seconds: float = 60,
              run_id: str | None = None) -> Claim | None:
        """Lease one claimable task to ``worker_id``, or ``None`` when there is none.

        Claimable: status ``ready`` with every dependency ``succeeded``, or ``running``
        with an expired lease (its attempt is then marked failed, error ``lease
        expired``). The task becomes ``running`` with a new ``running`` attempt. Safe
        across threads, processes and machines: each task goes to one worker.
        """
        ...

    def heartbeat(self, claim: Claim, *, lease_seconds: float | None = None) -> Claim:
        """Extend the lease (by the claim's original length unless given).

        ``Conflict`` when the worker no longer holds the task (it was reclaimed or
        released)."""
        ...

    def release(self, claim: Claim, status: StatusInput, *, error: str | None = None,
                outputs: Mapping[str, JsonValue] | None = None) -> Attempt:
        """End a claim: the attempt and the task take ``status`` (a terminal status, or
        ``waiting`` for an external job still in flight, or ``ready`` to hand the task
        back). ``Conflict`` when the worker no longer holds the task."""
        ...
