"""Workflows on SQL."""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa
from pydantic import BaseModel

from runstore.backends._shared.transfer import as_records, check_record_type
from runstore.backends._shared.workflows import (
    check_version,
    next_version,
    not_found,
    prepare,
)
from runstore.backends._shared.workflows import (
    highest_versions as _highest,
)
from runstore.backends.sql.schema import workflow_heads, workflows
from runstore.backends.sql.transfer import count_rows, export_rows, import_missing
from runstore.errors import AlreadyExists, Conflict
from runstore.models.common import JsonValue, validate_id
from runstore.models.workflows import Workflow

if TYPE_CHECKING:
    from runstore.backends.sql.backend import SqlBackend

__all__ = ["SqlWorkflowRepository"]

_ATTEMPTS = 8


def _record(row: sa.Row[Any]) -> Workflow:
    return Workflow(
        id=row.id,
        version=row.version,
        definition=orjson.loads(row.definition),
        parent_version=row.parent_version,
        content_hash=row.content_hash,
        message=row.message,
        created_at=row.created_at,
    )


def _row(record: Workflow) -> dict[str, Any]:
    return {
        "id": record.id,
        "version": record.version,
        "definition": orjson.dumps(record.definition).decode(),
        "parent_version": record.parent_version,
        "content_hash": record.content_hash,
        "message": record.message,
        "created_at": record.created_at,
    }


class SqlWorkflowRepository:
    """Versions in ``workflows``; ``workflow_heads`` holds the last assigned version per
    id and is the row writers lock, so two processes never get the same number."""

    def __init__(self, backend: SqlBackend) -> None:
        self._backend = backend

    def store(
        self,
        workflow_id: str,
        definition: Mapping[str, JsonValue],
        *,
        parent_version: int | None = None,
        message: str | None = None,
    ) -> Workflow:
        prepared = prepare(workflow_id, definition)
        for _ in range(_ATTEMPTS):
            try:
                with self._backend.connect() as conn:
                    head = sa.select(workflow_heads.c.last_version).where(
                        workflow_heads.c.id == workflow_id)
                    if self._backend.support.row_locks:
                        head = head.with_for_update()
                    last_assigned = conn.execute(head).scalar()
                    latest = self._latest(conn, workflow_id)
                    record = next_version(
                        prepared,
                        latest=latest,
                        last_assigned=last_assigned or 0,
                        parent_version=parent_version,
                        message=message,
                        version_exists=lambda v: self._exists(conn, workflow_id, v),
                    )
                    if record is None:
                        assert latest is not None
                        return latest
                    if last_assigned is None:
                        conn.execute(workflow_heads.insert().values(
                            id=workflow_id, last_version=record.version))
                    else:
                        conn.execute(workflow_heads.update()
                                     .where(workflow_heads.c.id == workflow_id)
                                     .values(last_version=record.version))
                    conn.execute(workflows.insert().values(**_row(record)))
                    return record
            except AlreadyExists as exc:
                # Another writer created this id's head row first: try again, unless the
                # caller's transaction is now aborted and only they can retry it.
                if self._backend.in_transaction:
                    raise Conflict(
                        f"workflow {workflow_id!r} was stored concurrently; retry the transaction"
                    ) from exc
        raise Conflict(f"workflow {workflow_id!r}: too many concurrent writers, try again")

    def get(self, workflow_id: str, version: int) -> Workflow:
        validate_id(workflow_id, what="workflow id")
        check_version(version)
        with self._backend.connect(write=False) as conn:
            row = conn.execute(sa.select(workflows).where(
                workflows.c.id == workflow_id, workflows.c.version == version)).first()
        if row is None:
            raise not_found(workflow_id, version)
        return _record(row)

    def get_latest(self, workflow_id: str) -> Workflow:
        validate_id(workflow_id, what="workflow id")
        with self._backend.connect(write=False) as conn:
            latest = self._latest(conn, workflow_id)
        if latest is None:
            raise not_found(workflow_id)
        return latest

    def list(self, workflow_id: str) -> builtins.list[Workflow]:
        validate_id(workflow_id, what="workflow id")
        with self._backend.connect(write=False) as conn:
            rows = conn.execute(sa.select(workflows).where(workflows.c.id == workflow_id)
                                .order_by(workflows.c.version)).all()
        return [_record(row) for row in rows]

    def list_all(self) -> builtins.list[Workflow]:
        newest = (sa.select(workflows.c.id, sa.func.max(workflows.c.version).label("version"))
                  .group_by(workflows.c.id).subquery())
        query = (sa.select(workflows)
                 .join(newest, sa.and_(workflows.c.id == newest.c.id,
                                       workflows.c.version == newest.c.version))
                 .order_by(workflows.c.id))
        with self._backend.connect(write=False) as conn:
            rows = conn.execute(query).all()
        return [_record(row) for row in rows]

    def delete(self, workflow_id: str, version: int) -> None:
        validate_id(workflow_id, what="workflow id")
        check_version(version)
        with self._backend.connect() as conn:
            deleted = conn.execute(workflows.delete().where(
                workflows.c.id == workflow_id, workflows.c.version == version)).rowcount
        if not deleted:
            raise not_found(workflow_id, version)

    # -- transfer port ------------------------------------------------------------------

    def record_types(self) -> tuple[str, ...]:
        return ("workflows",)

    def count_records(self, record_type: str) -> int:
        check_record_type(self, record_type)
        return count_rows(self._backend, workflows)

    def export_records(self, record_type: str, *,
                       batch_size: int = 1000) -> Iterator[builtins.list[BaseModel]]:
        check_record_type(self, record_type)
        for batch in export_rows(self._backend, workflows, _record, batch_size=batch_size):
            yield builtins.list(batch)

    def import_records(self, record_type: str, records: Sequence[BaseModel]) -> int:
        check_record_type(self, record_type)
        versions = as_records(Workflow, records)
        with self._backend.connect() as conn:
            written = import_missing(self._backend, workflows, [_row(w) for w in versions])
            for workflow_id, top in _highest(versions).items():
                head = conn.execute(sa.select(workflow_heads.c.last_version)
                                    .where(workflow_heads.c.id == workflow_id)).scalar()
                if head is None:
                    conn.execute(workflow_heads.insert().values(id=workflow_id, last_version=top))
                elif head < top:
                    conn.execute(workflow_heads.update().where(workflow_heads.c.id == workflow_id)
                                 .values(last_version=top))
        return written

    @staticmethod
    def _latest(conn: sa.Connection, workflow_id: str) -> Workflow | None:
        row = conn.execute(sa.select(workflows).where(workflows.c.id == workflow_id)
                           .order_by(workflows.c.version.desc()).limit(1)).first()
        return _record(row) if row is not None else None

    @staticmethod
    def _exists(conn: sa.Connection, workflow_id: str, version: int) -> bool:
        return conn.execute(sa.select(workflows.c.version).where(
            workflows.c.id == workflow_id, workflows.c.version == version)).first() is not None
