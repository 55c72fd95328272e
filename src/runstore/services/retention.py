"""Retention: decide which finished runs go, archive and verify them elsewhere, delete them.

Written only against ports. The runs repository says which runs exist; a pruned run
leaves with its tasks and attempts, its log (record and events) and the conversations
linked to it by ``run_id``. Metric aggregates stay: they are aggregates, not per-run
data. Blobs are left to :func:`runstore.gc`. Nothing runs in the background: the caller
or a scheduler calls :func:`prune`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    InstanceOf,
    ValidationError,
    field_validator,
    model_validator,
)

from runstore.errors import InvalidInput, NotFound, UnsupportedOperation
from runstore.models.common import utcnow
from runstore.models.runs import Run, RunStatus
from runstore.services.archive import archive_runs, linked_conversations, optional
from runstore.services.transfer import Progress
from runstore.store import Store

__all__ = [
    "Candidate",
    "Opener",
    "PruneReport",
    "RetentionPolicy",
    "parse_duration",
    "plan",
    "prune",
]

Opener = Callable[[str], Store]

_PART: Final = re.compile(r"(\d+)([smhdw])")
_UNITS: Final = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_PAGE: Final = 1000


def parse_duration(value: str | timedelta) -> timedelta:
    """``"90d"``, ``"12h"``, ``"2w"``, ``"1d12h"``, ``"45s"``, ``"30m"`` as a timedelta.

    ``InvalidInput`` for anything else (units: s, m, h, d, w).
    """
    if isinstance(value, timedelta):
        if value < timedelta(0):
            raise InvalidInput(f"a duration cannot be negative, got {value}")
        return value
    text = value.strip().lower() if isinstance(value, str) else ""
    if not text or _PART.sub("", text) != "":
        raise InvalidInput(f"invalid duration {value!r}: use a number and a unit among s, m, h, "
                           "d, w (for example 30d, 12h, 2w or 1d12h)")
    total = timedelta(0)
    for amount, unit in _PART.findall(text):
        total += timedelta(**{_UNITS[unit]: int(amount)})
    return total


class RetentionPolicy(BaseModel):
    """What to keep, and where to archive what goes. Only finished runs (succeeded,
    failed, cancelled, skipped) are ever pruned; a run's age counts from its finish.

    - ``older_than``: finished runs older than this go.
    - ``keep_last``: the newest N finished runs of each workflow always stay.
    - ``keep_failed_for``: failed runs stay this long (at least ``older_than``) and then go,
      even without ``older_than``.
    - With ``keep_last`` alone, every finished run beyond the newest N goes.
    - ``archive_to``: a store URL or an open :class:`~runstore.Store`; the runs are copied
      there and verified, record by record, before anything is deleted.
    - ``dry_run``: report what would go and change nothing.

    Durations are timedeltas or text such as ``"30d"``, ``"12h"``, ``"2w"``. Bad values
    raise ``InvalidInput`` naming the field. The same fields make the ``retention:``
    section of ``runstore.yaml``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    older_than: timedelta | None = None
    keep_last: int | None = Field(default=None, ge=0)
    keep_failed_for: timedelta | None = None
    archive_to: str | InstanceOf[Store] | None = None
    dry_run: bool = False

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise InvalidInput(_describe(exc)) from exc

    @field_validator("older_than", "keep_failed_for", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        if value is None:
            return None
        if not isinstance(value, str | timedelta):
            raise ValueError(f"expected a duration such as '30d', not {value!r}")
        return parse_duration(value)

    @field_validator("archive_to")
    @classmethod
    def _url(cls, value: object) -> object:
        if isinstance(value, str) and "://" not in value:
            raise ValueError(f"expected a store URL such as 'sqlite:///archive.db', not {value!r}")
        return value

    @model_validator(mode="after")
    def _rules(self) -> RetentionPolicy:
        if self.older_than is None and self.keep_last is None and self.keep_failed_for is None:
            raise ValueError("a retention policy needs older_than, keep_last or keep_failed_for")
        if self.older_than is not None and self.keep_failed_for is not None \
                and self.keep_failed_for < self.older_than:
            raise ValueError("keep_failed_for keeps failed runs longer, so it cannot be "
                             "shorter than older_than")
        return self


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors()[:5]:
        where = ".".join(str(part) for part in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    return "invalid retention policy: " + "; ".join(problems)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A finished run that a policy lets go."""

    run_id: str
    workflow_id: str
    status: RunStatus
    finished_at: datetime


@dataclass(slots=True)
class PruneReport:
    """What was pruned, or with ``dry_run`` what would be.

    ``counts`` is per repository (runs, tasks, logs, conversations) what was (would be)
    deleted; ``archived`` per record type what was copied and verified in ``archived_to``.
    """

    dry_run: bool
    candidates: list[Candidate] = field(default_factory=list)
    kept: int = 0
    active: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    archived_to: str | None = None
    archived: dict[str, int] = field(default_factory=dict)

    @property
    def run_ids(self) -> list[str]:
        """The pruned runs, oldest first."""
        return [candidate.run_id for candidate in self.candidates]


def _finished_runs(store: Store) -> Iterator[Run]:
    cursor: str | None = None
    while True:
        page = store.runs.list_runs(limit=_PAGE, cursor=cursor)
        yield from page.items
        cursor = page.next_cursor
        if cursor is None:
            return


def _goes(run: Run, policy: RetentionPolicy, now: datetime) -> bool:
    age = now - (run.finished_at or run.created_at)
    if run.status is RunStatus.FAILED and policy.keep_failed_for is not None:
        return age > policy.keep_failed_for
    if policy.older_than is not None:
        return age > policy.older_than
    return policy.keep_last is not None


def plan(store: Store, policy: RetentionPolicy, *, now: datetime | None = None
         ) -> PruneReport:
    """The runs ``policy`` lets go, oldest first, without changing anything.

    Streams the runs newest first and keeps one counter per workflow, so memory grows
    with the number of runs that go, not with the number stored.
    """
    moment = now or utcnow()
    report = PruneReport(dry_run=True)
    finished: dict[str, int] = {}
    for run in _finished_runs(store):
        if not run.status.terminal:
            report.active += 1
            continue
        rank = finished.get(run.workflow_id, 0)
        finished[run.workflow_id] = rank + 1
        protected = policy.keep_last is not None and rank < policy.keep_last
        if protected or not _goes(run, policy, moment):
            report.kept += 1
            continue
        report.candidates.append(Candidate(run.id, run.workflow_id, run.status,
                                           run.finished_at or run.created_at))
    report.candidates.reverse()
    return report


def prune(store: Store, policy: RetentionPolicy | Mapping[str, Any], *,
          now: datetime | None = None, progress: Progress | None = None,
          opener: Opener | None = None) -> PruneReport:
    """Delete the finished runs ``policy`` lets go, with everything that belongs to them.

    With ``archive_to``, every run is first copied there and read back for comparison;
    if anything differs, ``RunstoreError`` says where and nothing is deleted.
    ``opener`` opens ``archive_to`` when it is a URL (:func:`runstore.prune` passes
    :func:`runstore.open`). ``now`` is the moment ages are measured from.
    """
    rules = policy if isinstance(policy, RetentionPolicy) else RetentionPolicy(**dict(policy))
    report = plan(store, rules, now=now)
    report.dry_run = rules.dry_run
    target = rules.archive_to
    report.archived_to = target if isinstance(target, str) or target is None else target.url
    if rules.dry_run or not report.candidates:
        for candidate in report.candidates:
            _tally(report.counts, _related(store, candidate.run_id, delete=False))
        return report
    if target is not None:
        with _archive_store(store, target, opener) as archive:
            report.archived = archive_runs(store, archive, report.run_ids, progress=progress)
    for candidate in report.candidates:
        _tally(report.counts, _related(store, candidate.run_id, delete=True))
        if progress is not None:
            progress("prune", 1, len(report.candidates))
    return report


def _tally(totals: dict[str, int], counts: Mapping[str, int]) -> None:
    for name, count in counts.items():
        totals[name] = totals.get(name, 0) + count


def _archive_store(store: Store, target: str | Store,
                   opener: Opener | None) -> AbstractContextManager[Store]:
    if isinstance(target, str):
        if opener is None:
            raise InvalidInput("archive_to is a URL: pass opener=runstore.open, or call "
                               "runstore.prune, which does")
        opened = opener(target)
        if opened.url == store.url and store.capabilities.multi_process:
            opened.close()
            raise InvalidInput(f"archive_to {target} is the store being pruned")
        return opened
    if target is store:
        raise InvalidInput("archive_to is the store being pruned")
    return nullcontext(target)


def _unit(store: Store) -> AbstractContextManager[None]:
    """One transaction over the run's repositories when they share a backend that has
    them; else each deletion commits on its own (a retry finishes the job)."""
    try:
        return store.transaction("runs", "logs", "conversations")
    except UnsupportedOperation:
        return nullcontext()


def _related(store: Store, run_id: str, *, delete: bool) -> dict[str, int]:
    """Count (and with ``delete``, delete) a run's conversations, log, tasks and run.
    The run goes last, so an interrupted prune finds it again next time."""
    counts = {"runs": 0, "tasks": 0, "logs": 0, "conversations": 0}
    conversations, logs = optional(store, "conversations"), optional(store, "logs")
    with _unit(store) if delete else nullcontext():
        if conversations is not None:
            for conversation in linked_conversations(conversations, run_id):
                if delete:
                    conversations.delete_conversation(conversation.id)
                counts["conversations"] += 1
        if logs is not None:
            counts["logs"] += _log(logs, run_id, delete=delete)
        try:
            counts["tasks"] = len(store.runs.get_tasks(run_id))
            if delete:
                store.runs.delete_run(run_id)
            counts["runs"] = 1
        except NotFound:
            pass  # deleted meanwhile
    return counts


def _log(logs: Any, run_id: str, *, delete: bool) -> int:
    try:
        if delete:
            logs.delete(run_id)
        elif next(logs.iter_events(run_id), None) is None:
            logs.get_log(run_id)  # NotFound when it has no record either
    except NotFound:
        return 0
    return 1
