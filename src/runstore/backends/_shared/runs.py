"""Backend-independent rules of the runs repository: validation, the state machine,
task graphs (unknown dependencies and cycles), timestamps, leases and releases."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final, NamedTuple

from runstore.errors import AlreadyExists, Conflict, InvalidInput, NotFound
from runstore.models.common import canonical_json, coerce, new_id, utcnow, validate_id
from runstore.models.runs import (
    ALLOWED_TRANSITIONS,
    Attempt,
    Run,
    RunStatus,
    Task,
    TaskSpec,
)

__all__ = [
    "LEASE_EXPIRED",
    "MAX_LIMIT",
    "RELEASED",
    "TaskPlan",
    "as_status",
    "attempt_status_change",
    "check_change",
    "check_json_object",
    "check_lease",
    "check_limit",
    "check_lookup_id",
    "check_text",
    "check_worker",
    "lease_until",
    "new_run",
    "not_found",
    "plan_tasks",
    "release_statuses",
    "times_for",
]

LEASE_EXPIRED: Final = "lease expired"
RELEASED: Final = "released"
MAX_LIMIT: Final = 10_000
MAX_LEASE_SECONDS: Final = 7 * 86400.0


def as_status(value: object, *, what: str = "status") -> RunStatus:
    """A :class:`RunStatus` from the enum or its string value; ``InvalidInput`` otherwise."""
    try:
        return RunStatus(value)  # type: ignore[arg-type]
    except ValueError:
        raise InvalidInput(
            f"invalid {what} {value!r}; use one of: {', '.join(s.value for s in RunStatus)}"
        ) from None


def not_found(kind: str, key: str) -> NotFound:
    """The ``NotFound`` for a run, task or attempt id."""
    return NotFound(kind, key, f"{kind} {key!r} not found")


def check_change(kind: str, key: str, current: RunStatus, new: RunStatus,
                 expected: RunStatus | None) -> None:
    """``Conflict`` when ``expected`` no longer holds or the state machine forbids the change."""
    if expected is not None and current != expected:
        raise Conflict(f"{kind} {key!r} is {current.value}, not {expected.value} as expected")
    if new not in ALLOWED_TRANSITIONS[current]:
        allowed = ", ".join(sorted(s.value for s in ALLOWED_TRANSITIONS[current])) or "nothing"
        raise Conflict(f"{kind} {key!r} cannot go from {current.value} to {new.value} "
                       f"(allowed: {allowed})")


def times_for(new: RunStatus, started_at: datetime | None, finished_at: datetime | None,
              now: datetime) -> tuple[datetime | None, datetime | None]:
    """``(started_at, finished_at)`` after a change to ``new``: started the first time it
    runs, finished when it reaches a terminal status."""
    if new is RunStatus.RUNNING and started_at is None:
        started_at = now
    if new.terminal:
        finished_at = now
    return started_at, finished_at


def attempt_status_change(attempt: Attempt, guard: RunStatus | None,
                          new: RunStatus | None) -> dict[str, Any]:
    """The field changes of ``update_attempt`` for a status change, after checking the
    compare-and-set ``guard`` and the transition (``Conflict`` when either fails)."""
    if guard is not None and attempt.status != guard:
        raise Conflict(f"attempt {attempt.id!r} is {attempt.status.value}, "
                       f"not {guard.value} as expected")
    if new is None:
        return {}
    check_change("attempt", attempt.id, attempt.status, new, None)
    started, finished = times_for(new, attempt.started_at, attempt.finished_at, utcnow())
    changes: dict[str, Any] = {"status": new, "started_at": started, "finished_at": finished}
    if new is not RunStatus.RUNNING:
        changes["lease_expires_at"] = None
    return changes


def check_text(value: object, what: str, *, max_length: int = 255) -> str | None:
    """An optional short string (executor names, job ids, reasons)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be a string, not {type(value).__name__}")
    if len(value) > max_length:
        raise InvalidInput(f"{what} is longer than {max_length} characters")
    return value


def check_json_object(value: object, what: str) -> dict[str, Any] | None:
    """An optional JSON object (metadata, outputs), checked to be plain JSON."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{what} must be a mapping, not {type(value).__name__}")
    plain = dict(value)
    canonical_json(plain, what=what)
    return plain


def check_limit(limit: object) -> int:
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be an int from 1 to {MAX_LIMIT}, not {limit!r}")
    return limit


def check_worker(worker_id: object) -> str:
    validate_id(worker_id, what="worker id")
    assert isinstance(worker_id, str)
    return worker_id


def check_lease(seconds: object) -> float:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) \
            or not 0 < seconds <= MAX_LEASE_SECONDS:
        raise InvalidInput(
            f"lease_seconds must be a number above 0 and at most {MAX_LEASE_SECONDS:.0f}, "
            f"not {seconds!r}")
    return float(seconds)


def lease_until(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=seconds)


def release_statuses(status: object) -> tuple[RunStatus, RunStatus, str | None]:
    """``(attempt status, task status, default error)`` for ``release(claim, status)``.

    A terminal status ends both; ``waiting`` keeps both active (an external job in
    flight); ``ready`` hands the task back and cancels the attempt.
    """
    wanted = as_status(status)
    if wanted.terminal or wanted is RunStatus.WAITING:
        return wanted, wanted, None
    if wanted is RunStatus.READY:
        return RunStatus.CANCELLED, RunStatus.READY, RELEASED
    raise InvalidInput(f"release a claim as a terminal status, waiting or ready, "
                       f"not {wanted.value}")


def new_run(workflow_id: object, workflow_version: object, metadata: object) -> Run:
    """A validated new run in status ``pending``."""
    validate_id(workflow_id, what="workflow id")
    if workflow_version is not None and (
            not isinstance(workflow_version, int) or isinstance(workflow_version, bool)
            or workflow_version < 1):
        raise InvalidInput(f"workflow_version must be a positive int, not {workflow_version!r}")
    plain = check_json_object(metadata, "run metadata") or {}
    return coerce(Run, {"id": new_id(), "workflow_id": workflow_id,
                        "workflow_version": workflow_version, "metadata": plain,
                        "created_at": utcnow()}, what="run")


class TaskPlan(NamedTuple):
    """Tasks to insert, and ``(task id, dependency task id)`` pairs for claim queries."""

    tasks: list[Task]
    edges: list[tuple[str, str]]


def plan_tasks(run: Run, existing: Mapping[str, str], specs: Iterable[object],
               status: object) -> TaskPlan:
    """Validate a batch of task specs against the run's existing ``{name: task id}``.

    Raises ``InvalidInput`` for a bad spec, a name repeated in the batch, an unknown
    dependency or a cycle; ``AlreadyExists`` for a name already in the run; ``Conflict``
    when the run has finished.
    """
    initial = as_status(status, what="initial task status")
    if initial not in {RunStatus.PENDING, RunStatus.READY}:
        raise InvalidInput(f"tasks start pending or ready, not {initial.value}")
    if run.status.terminal:
        raise Conflict(f"run {run.id!r} is {run.status.value}; no tasks can be added")
    if isinstance(specs, Mapping | str | bytes):
        raise InvalidInput("specs must be an iterable of TaskSpec or dicts")
    parsed = [coerce(TaskSpec, spec, what=f"task spec #{n}")  # type: ignore[arg-type]
              for n, spec in enumerate(specs)]
    for spec in parsed:
        canonical_json(spec.spec, what=f"task {spec.name!r} spec")
    ids: dict[str, str] = {}
    for spec in parsed:
        if spec.name in ids:
            raise InvalidInput(f"task name {spec.name!r} appears twice in the batch")
        if spec.name in existing:
            raise AlreadyExists("task", (run.id, spec.name),
                                f"run {run.id!r} already has a task named {spec.name!r}")
        ids[spec.name] = new_id()
    for spec in parsed:
        unknown = [d for d in spec.depends_on if d not in ids and d not in existing]
        if unknown:
            raise InvalidInput(f"task {spec.name!r} depends on unknown tasks {unknown}")
    _check_acyclic(parsed)
    now = utcnow()
    tasks: list[Task] = []
    edges: list[tuple[str, str]] = []
    for spec in parsed:
        depends_on = list(dict.fromkeys(spec.depends_on))
        task_id = ids[spec.name]
        tasks.append(Task(id=task_id, run_id=run.id, name=spec.name, kind=spec.kind,
                          depends_on=depends_on, spec=spec.spec, status=initial,
                          created_at=now))
        edges.extend((task_id, ids.get(dep) or existing[dep]) for dep in depends_on)
    return TaskPlan(tasks, edges)


def _check_acyclic(specs: list[TaskSpec]) -> None:
    """Kahn's algorithm over the batch (existing tasks cannot depend on new ones)."""
    names = {spec.name for spec in specs}
    waiting = {spec.name: {d for d in spec.depends_on if d in names} for spec in specs}
    done: set[str] = set()
    while True:
        free = [name for name, deps in waiting.items() if deps <= done]
        if not free:
            break
        for name in free:
            done.add(name)
            del waiting[name]
    if waiting:
        raise InvalidInput(f"task dependencies form a cycle among {sorted(waiting)}")


def check_lookup_id(value: object, kind: str) -> str:
    """Validate an id passed to a lookup (so it is safe in a path or a query)."""
    validate_id(value, what=f"{kind} id")
    assert isinstance(value, str)
    return value
