"""The transfer port of the runs repository for backends that keep each run as one
document (memory, files): record types ``runs``, ``tasks`` and ``attempts``.

Tasks and attempts are added to their run's document under the run's exclusive
section, in id order (the order ``get_tasks`` returns), and indexed like new ones, so
claims, heartbeats and new attempts work on copied runs as on the originals.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Final, TypeVar

from pydantic import BaseModel

from runstore.backends._shared.transfer import StreamedTransfer, as_records, check_record_type
from runstore.errors import InvalidInput
from runstore.models.runs import Attempt, Run, Task
from runstore.services.batches import grouped

if TYPE_CHECKING:
    from runstore.backends._shared.run_documents import DocumentStore, RunDocument

__all__ = ["RUN_RECORD_TYPES", "DocumentRunTransfer", "missing_parent"]

RUN_RECORD_TYPES: Final = ("runs", "tasks", "attempts")

R = TypeVar("R", Task, Attempt)


def missing_parent(record_type: str, record_id: str, run_id: str) -> InvalidInput:
    """The error for a task or attempt whose run was not imported first."""
    kind = record_type.rstrip("s")
    return InvalidInput(f"cannot import {kind} {record_id!r}: its run {run_id!r} is not in "
                        "this store (import runs before tasks and attempts)")


class DocumentRunTransfer(StreamedTransfer):
    """Mixin giving a document runs repository (``self._docs``) the transfer port."""

    _docs: DocumentStore

    def record_types(self) -> tuple[str, ...]:
        return RUN_RECORD_TYPES

    def import_records(self, record_type: str, records: Sequence[BaseModel]) -> int:
        check_record_type(self, record_type)
        if record_type == "runs":
            return self._import_runs(as_records(Run, records))
        model: type[Task] | type[Attempt] = Task if record_type == "tasks" else Attempt
        written = 0
        for run_id, group in grouped(as_records(model, records), lambda r: r.run_id).items():
            with self._docs.exclusive(f"run:{run_id}"):
                document = self._docs.load(run_id)
                if document is None:
                    raise missing_parent(record_type, group[0].id, run_id)
                written += _merge(self._docs, document, record_type, group)
        return written

    def _import_runs(self, runs: builtins.list[Run]) -> int:
        from runstore.backends._shared.run_documents import RunDocument

        written = 0
        for run in runs:
            with self._docs.exclusive(f"run:{run.id}"):
                if self._docs.load(run.id) is None:
                    self._docs.save(RunDocument(run))
                    written += 1
        return written

    def _each(self, record_type: str) -> Iterator[BaseModel]:
        """Every record of a type, runs in id order, each run's children in id order."""
        for run_id in self._docs.run_ids():
            document = self._docs.load(run_id)
            if document is None:  # deleted since the listing
                continue
            if record_type == "runs":
                yield document.run
            else:
                children = document.tasks if record_type == "tasks" else document.attempts
                yield from (children[key] for key in sorted(children))


def _merge(docs: DocumentStore, document: RunDocument, record_type: str,
           records: Sequence[Task | Attempt]) -> int:
    """Add the records ``document`` lacks, keep its children in id order, save it."""
    if record_type == "tasks":
        tasks = [r for r in records if isinstance(r, Task) and r.id not in document.tasks]
        document.tasks = _in_id_order(document.tasks, tasks)
        missing: Sequence[Task | Attempt] = tasks
    else:
        attempts = [r for r in records if isinstance(r, Attempt)
                    and r.id not in document.attempts]
        document.attempts = _in_id_order(document.attempts, attempts)
        missing = attempts
    if not missing:
        return 0
    for record in missing:
        docs.index("task" if record_type == "tasks" else "attempt", record.id, document.run.id)
    docs.save(document)
    return len(missing)


def _in_id_order(children: dict[str, R], added: Sequence[R]) -> dict[str, R]:
    merged = {**children, **{record.id: record for record in added}}
    return {key: merged[key] for key in sorted(merged)}
