"""Retention: decide which finished runs go, archive them elsewhere, then delete them.

Written only against ports. A run is known to the ``runs`` repository, the ``logs``
repository, or both (logs may live on another backend); its age is its finish time
(else its start, else its creation). Nothing runs in the background: the caller or a
scheduler calls :func:`prune`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from runstore.errors import InvalidInput, NotFound, RunstoreError, UnsupportedOperation
from runstore.models.common import utcnow
from runstore.services.transfer import digest
from runstore.store import Store

__all__ = [
    "Candidate",
    "PruneReport",
    "RetentionPolicy",
    "archive",
    "parse_duration",
    "plan",
    "prune",
]

# (what, advanced by, total)
Progress = Callable[[str, int, int | None], None]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_ACTIVE = {"pending", "ready", "running", "waiting"}


def parse_duration(text: str | timedelta) -> timedelta:
    """``"90d"``, ``"12h"``, ``"30m"``, ``"2w"``, ``"45s"`` as a timedelta."""
    if isinstance(text, timedelta):
        return text
    match = _DURATION.match(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidInput(f"invalid duration {text!r}: use a number and one of s, m, h, d, w "
                           "(for example 30d)")
    return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """What to keep. A run is pruned only when a rule says so and no rule keeps it.

    - ``keep_last``: the newest N runs of each workflow are always kept.
    - ``older_than``: finished runs older than this go (failed ones too, unless
      ``keep_failed_for`` is set).
    - ``keep_failed_for``: failed runs are kept this long, then go.
    - ``archive_to``: a store URL; runs are copied and verified there before deletion.
    Active runs (pending, ready, running, waiting) are never pruned.
    """

    older_than: timedelta | None = None
    keep_last: int | None = None
    keep_failed_for: timedelta | None = None
    archive_to: str | None = None

    def __post_init__(self) -> None:
        if self.keep_last is not None and self.keep_last < 0:
            raise InvalidInput(f"keep_last must be 0 or more, not {self.keep_last}")
        if self.older_than is None and self.keep_last is None and self.keep_failed_for is None:
            raise InvalidInput("a retention policy needs older_than, keep_last or keep_failed_for")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A run as retention sees it."""

    run_id: str
    workflow_id: str
    status: str
    when: datetime
    in_runs: bool
    in_logs: bool


@dataclass(slots=True)
class PruneReport:
    """What was (or, on a dry run, would be) pruned."""

    dry_run: bool
    pruned: list[Candidate] = field(default_factory=list)
    kept: int = 0
    archived_to: str | None = None


def _repository(store: Store, name: str) -> Any:
    try:
        return getattr(store, name)
    except UnsupportedOperation:
        return None


def _known_runs(store: Store) -> Iterator[Candidate]:
    runs = _repository(store, "runs")
    if runs is not None:
        cursor: str | None = None
        while True:
            page = runs.list_runs(limit=500, cursor=cursor)
            for run in page.items:
                when = run.finished_at or run.started_at or run.created_at
                yield Candidate(run.id, run.workflow_id, str(run.status), when, True, False)
            cursor = page.next_cursor
            if cursor is None:
                break
    logs = _repository(store, "logs")
    if logs is not None:
        cursor = None
        while True:
            page = logs.query({"limit": 1000, "cursor": cursor})
            for record in page.items:
                when = record.finished_at or record.started_at
                yield Candidate(record.run_id, record.workflow_id, str(record.status), when,
                                False, True)
            cursor = page.next_cursor
            if cursor is None:
                break


def _merged(store: Store) -> dict[str, list[Candidate]]:
    by_run: dict[str, Candidate] = {}
    for candidate in _known_runs(store):
        seen = by_run.get(candidate.run_id)
        if seen is None:
            by_run[candidate.run_id] = candidate
        else:  # the runs repository's view wins; remember both homes
            base = seen if seen.in_runs else candidate
            by_run[candidate.run_id] = Candidate(
                base.run_id, base.workflow_id, base.status, base.when,
                seen.in_runs or candidate.in_runs, seen.in_logs or candidate.in_logs)
    per_workflow: dict[str, list[Candidate]] = {}
    for candidate in by_run.values():
        per_workflow.setdefault(candidate.workflow_id, []).append(candidate)
    for runs in per_workflow.values():
        runs.sort(key=lambda c: (c.when, c.run_id), reverse=True)
    return per_workflow


def _goes(candidate: Candidate, policy: RetentionPolicy, now: datetime) -> bool:
    if candidate.status in _ACTIVE:
        return False
    age = now - candidate.when
    if candidate.status == "failed" and policy.keep_failed_for is not None:
        return age > policy.keep_failed_for
    if policy.older_than is not None:
        return age > policy.older_than
    return policy.keep_last is not None  # beyond the newest N, with no age rule


def plan(store: Store, policy: RetentionPolicy, *, now: datetime | None = None
         ) -> tuple[list[Candidate], int]:
    """The runs ``policy`` would prune, oldest first, and how many it keeps."""
    moment = now or utcnow()
    pruned, kept = [], 0
    for runs in _merged(store).values():
        for index, candidate in enumerate(runs):
            protected = policy.keep_last is not None and index < policy.keep_last
            if not protected and _goes(candidate, policy, moment):
                pruned.append(candidate)
            else:
                kept += 1
    pruned.sort(key=lambda c: (c.when, c.run_id))
    return pruned, kept


def delete_run(store: Store, candidate: Candidate) -> None:
    """Delete a run everywhere it is kept (runs with tasks and attempts, log and events)."""
    for name, present in (("runs", candidate.in_runs), ("logs", candidate.in_logs)):
        if not present:
            continue
        repository = _repository(store, name)
        try:
            if name == "runs":
                repository.delete_run(candidate.run_id)
            else:
                repository.delete(candidate.run_id)
        except NotFound:
            continue
        except AttributeError as exc:
            raise RunstoreError(f"the {name} repository cannot delete runs") from exc


def _run_records(store: Store, name: str, run_id: str) -> dict[str, list[BaseModel]]:
    repository = _repository(store, name)
    exporter = getattr(repository, "records_of_run", None)
    if exporter is None:
        raise UnsupportedOperation(f"the {name} repository of {store.url} cannot export a run")
    try:
        records: dict[str, list[BaseModel]] = exporter(run_id)
    except NotFound:
        return {}
    return records


def archive(store: Store, candidates: list[Candidate], target: Store,
            progress: Progress | None = None) -> None:
    """Copy the candidates' records into ``target`` and verify them there.

    Raises ``RunstoreError`` naming the run if the archive does not hold exactly what the
    store holds; nothing is deleted by this function.
    """
    for candidate in candidates:
        for name, present in (("runs", candidate.in_runs), ("logs", candidate.in_logs)):
            if not present:
                continue
            records = _run_records(store, name, candidate.run_id)
            writer = _repository(target, name)
            for record_type, batch in records.items():
                writer.import_records(record_type, batch)
            archived = _run_records(target, name, candidate.run_id)
            if digest(list(records.values())) != digest(list(archived.values())):
                raise RunstoreError(f"archive {target.url} does not match {name} of run "
                                    f"{candidate.run_id!r}; nothing was deleted")
        if progress is not None:
            progress("archive", 1, len(candidates))


def prune(store: Store, policy: RetentionPolicy, *, dry_run: bool = False,
          archive_store: Store | None = None, now: datetime | None = None,
          progress: Progress | None = None) -> PruneReport:
    """Prune the runs ``policy`` lets go; archive and verify them first in
    ``archive_store`` (the store opened at ``policy.archive_to``) when given.

    ``dry_run`` changes nothing and reports what would go.
    """
    candidates, kept = plan(store, policy, now=now)
    report = PruneReport(dry_run=dry_run, pruned=candidates, kept=kept,
                         archived_to=policy.archive_to)
    if dry_run or not candidates:
        return report
    if policy.archive_to and archive_store is None:
        raise InvalidInput("policy.archive_to is set: open it and pass it as archive_store "
                           "(runstore.prune does this for you)")
    if archive_store is not None:
        archive(store, candidates, archive_store, progress)
    for candidate in candidates:
        delete_run(store, candidate)
        if progress is not None:
            progress("prune", 1, len(candidates))
    return report
