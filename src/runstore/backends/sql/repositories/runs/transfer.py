"""The transfer port of the SQL runs repository: ``runs``, ``tasks`` and ``attempts``.

Rows are exported in primary-key order and imported when their id is absent. After
tasks are imported, ``task_dependencies`` gets the edges of every task of the runs
involved whose dependencies are now present, so claims see copied dependencies.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

import orjson
import sqlalchemy as sa
from pydantic import BaseModel

from runstore.backends._shared.run_transfer import RUN_RECORD_TYPES, missing_parent
from runstore.backends._shared.transfer import as_records, check_record_type
from runstore.backends.sql.repositories.runs._base import (
    RunsBase,
    attempt_record,
    attempt_row,
    run_record,
    run_row,
    task_record,
    task_row,
)
from runstore.backends.sql.schema.runs import attempts, runs, task_dependencies, tasks
from runstore.backends.sql.transfer import TableTransfer, import_missing
from runstore.models.runs import Attempt, Run, Task

__all__ = ["SqlRunTransfer"]

# record type -> its table, its model and the row of a record
_IMPORTS: Final[dict[str, tuple[sa.Table, type[BaseModel], Callable[[Any], dict[str, Any]]]]] = {
    "runs": (runs, Run, run_row), "tasks": (tasks, Task, task_row),
    "attempts": (attempts, Attempt, attempt_row),
}


class SqlRunTransfer(RunsBase, TableTransfer):
    """Bulk export and import of runs, tasks and attempts."""

    _transfer_tables = dict(zip(RUN_RECORD_TYPES, [(runs, run_record), (tasks, task_record),
                                                   (attempts, attempt_record)], strict=True))

    def import_records(self, record_type: str, records: Sequence[BaseModel]) -> int:
        check_record_type(self, record_type)
        table, model, to_row = _IMPORTS[record_type]
        typed = as_records(model, records)
        with self._backend.connect() as conn:
            if record_type != "runs":
                _check_parents(conn, record_type, typed)
            written = import_missing(self._backend, table, [to_row(r) for r in typed])
            if record_type == "tasks" and written:
                _link(conn, {task.run_id for task in as_records(Task, typed)})
        return written


def _check_parents(conn: sa.Connection, record_type: str,
                   records: builtins.list[BaseModel]) -> None:
    """``InvalidInput`` naming the first task or attempt whose run is not stored."""
    children: builtins.list[Task | Attempt] = [
        r for r in records if isinstance(r, Task | Attempt)]
    wanted = sorted({child.run_id for child in children})
    present: set[str] = set()
    for start in range(0, len(wanted), 500):
        present.update(conn.execute(sa.select(runs.c.id).where(
            runs.c.id.in_(wanted[start:start + 500]))).scalars())
    for child in children:
        if child.run_id not in present:
            raise missing_parent(record_type, child.id, child.run_id)


def _link(conn: sa.Connection, run_ids: Iterable[str]) -> None:
    """Insert the missing dependency edges of every task of ``run_ids``."""
    for run_id in sorted(run_ids):
        rows = conn.execute(sa.select(tasks.c.id, tasks.c.name, tasks.c.depends_on)
                            .where(tasks.c.run_id == run_id)).all()
        ids = {row.name: row.id for row in rows}
        wanted = {(row.id, ids[name]) for row in rows
                  for name in orjson.loads(row.depends_on) if name in ids}
        if not wanted:
            continue
        d = task_dependencies.c
        present = {(row.task_id, row.depends_on_id) for row in conn.execute(
            sa.select(d.task_id, d.depends_on_id)
            .join(tasks, tasks.c.id == d.task_id).where(tasks.c.run_id == run_id))}
        missing = sorted(wanted - present)
        if missing:
            conn.execute(task_dependencies.insert(),
                         [{"task_id": t, "depends_on_id": dep} for t, dep in missing])
