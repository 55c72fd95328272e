"""Run state: runs, their tasks, the attempts at each task, and worker claims.

Runs, tasks and attempts share one status vocabulary (:class:`RunStatus`) and one state
machine (:data:`ALLOWED_TRANSITIONS`): a terminal status (succeeded, failed, cancelled,
skipped) is final. An external job (an HPC or cloud job) is an attempt that carries an
``executor`` name and the job's ``external_id``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Final

from pydantic import Field, field_validator

from runstore.models.common import ID_PATTERN, JsonObject, Record, ensure_utc

__all__ = [
    "ACTIVE_STATUSES",
    "ALLOWED_TRANSITIONS",
    "NAME_PATTERN",
    "TERMINAL_STATUSES",
    "Attempt",
    "Claim",
    "Run",
    "RunStatus",
    "Task",
    "TaskSpec",
    "can_transition",
]

# Task names and kinds: the same characters as ids, at most 128.
NAME_PATTERN: Final = ID_PATTERN.pattern


class RunStatus(StrEnum):
    """The status of a run, a task or an attempt."""

    PENDING = "pending"
    READY = "ready"
    RUNNING = "running"
    WAITING = "waiting"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"

    @property
    def terminal(self) -> bool:
        """True for succeeded, failed, cancelled and skipped: nothing follows them."""
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES: Final = frozenset(
    {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.SKIPPED}
)
ACTIVE_STATUSES: Final = frozenset(set(RunStatus) - TERMINAL_STATUSES)

_S = RunStatus
# status -> the statuses it may change to. Terminal statuses change to nothing.
ALLOWED_TRANSITIONS: Final[dict[RunStatus, frozenset[RunStatus]]] = {
    _S.PENDING: frozenset({_S.READY, _S.RUNNING, _S.WAITING, _S.FAILED, _S.CANCELLED,
                           _S.SKIPPED}),
    _S.READY: frozenset({_S.PENDING, _S.RUNNING, _S.WAITING, _S.FAILED, _S.CANCELLED,
                         _S.SKIPPED}),
    _S.RUNNING: frozenset({_S.READY, _S.WAITING, _S.SUCCEEDED, _S.FAILED, _S.CANCELLED}),
    _S.WAITING: frozenset({_S.READY, _S.RUNNING, _S.SUCCEEDED, _S.FAILED, _S.CANCELLED,
                           _S.SKIPPED}),
    _S.SUCCEEDED: frozenset(),
    _S.FAILED: frozenset(),
    _S.CANCELLED: frozenset(),
    _S.SKIPPED: frozenset(),
}


def can_transition(current: RunStatus, new: RunStatus) -> bool:
    """Whether the state machine allows ``current -> new``."""
    return new in ALLOWED_TRANSITIONS[current]


class _Timed(Record):
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @field_validator("created_at", "started_at", "finished_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else ensure_utc(value)


class Run(_Timed):
    """One execution of a workflow. ``started_at`` is set when it first becomes
    running, ``finished_at`` when it reaches a terminal status."""

    id: str = Field(pattern=ID_PATTERN.pattern)
    workflow_id: str = Field(pattern=ID_PATTERN.pattern)
    workflow_version: int | None = Field(default=None, ge=1)
    status: RunStatus = RunStatus.PENDING
    status_reason: str | None = None
    metadata: JsonObject = Field(default_factory=dict)


class TaskSpec(Record):
    """What ``add_tasks`` needs to create a task: a name unique in the run, the names
    of the tasks it depends on, a kind (``local``, ``external``, ``gate``...) and a
    free-form ``spec`` for the executor."""

    name: str = Field(pattern=NAME_PATTERN)
    depends_on: list[str] = Field(default_factory=list)
    kind: str = Field(default="local", pattern=NAME_PATTERN)
    spec: JsonObject = Field(default_factory=dict)


class Task(_Timed):
    """A task of a run. ``current_attempt_id`` points at its latest attempt; while a
    worker holds it, ``worker_id`` and ``lease_expires_at`` say who and until when."""

    id: str = Field(pattern=ID_PATTERN.pattern)
    run_id: str = Field(pattern=ID_PATTERN.pattern)
    name: str = Field(pattern=NAME_PATTERN)
    kind: str = Field(pattern=NAME_PATTERN)
    depends_on: list[str] = Field(default_factory=list)
    spec: JsonObject = Field(default_factory=dict)
    status: RunStatus = RunStatus.PENDING
    current_attempt_id: str | None = None
    worker_id: str | None = None
    lease_expires_at: datetime | None = None

    @field_validator("lease_expires_at")
    @classmethod
    def _lease_utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else ensure_utc(value)


class Attempt(_Timed):
    """One try at a task, numbered 1, 2, ... per task. An external job is an attempt
    with an ``executor`` and an ``external_id``."""

    id: str = Field(pattern=ID_PATTERN.pattern)
    task_id: str = Field(pattern=ID_PATTERN.pattern)
    run_id: str = Field(pattern=ID_PATTERN.pattern)
    number: int = Field(ge=1)
    status: RunStatus = RunStatus.PENDING
    executor: str | None = None
    external_id: str | None = None
    worker_id: str | None = None
    error: str | None = None
    outputs: JsonObject | None = None
    lease_expires_at: datetime | None = None

    @field_validator("lease_expires_at")
    @classmethod
    def _lease_utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else ensure_utc(value)


class Claim(Record):
    """A task leased to a worker by ``claim``: pass it to ``heartbeat`` and ``release``."""

    worker_id: str
    task: Task
    attempt: Attempt
    lease_expires_at: datetime
    lease_seconds: float = Field(gt=0)

    @field_validator("lease_expires_at")
    @classmethod
    def _lease_utc(cls, value: datetime) -> datetime:
        return ensure_utc(value)

    @property
    def task_id(self) -> str:
        return self.task.id

    @property
    def attempt_id(self) -> str:
        return self.attempt.id

    @property
    def run_id(self) -> str:
        return self.task.run_id
