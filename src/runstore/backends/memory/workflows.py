"""Workflows kept in memory."""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping, Sequence

from pydantic import BaseModel

from runstore.backends._shared.transfer import as_records, check_record_type
from runstore.backends._shared.workflows import (
    check_version,
    highest_versions,
    next_version,
    not_found,
    prepare,
)
from runstore.backends.memory.tables import MemoryTables
from runstore.models.common import JsonValue, validate_id
from runstore.models.workflows import Workflow

__all__ = ["MemoryWorkflowRepository"]

_VERSIONS = "workflows"
_HEADS = "workflow_heads"


class MemoryWorkflowRepository:
    """Workflow versions keyed by ``(id, version)``; ``workflow_heads`` keeps the last
    version ever assigned so deleted versions are never reused."""

    def __init__(self, tables: MemoryTables) -> None:
        self._tables = tables

    def store(
        self,
        workflow_id: str,
        definition: Mapping[str, JsonValue],
        *,
        parent_version: int | None = None,
        message: str | None = None,
    ) -> Workflow:
        prepared = prepare(workflow_id, definition)
        with self._tables.transaction():
            versions = self._tables.table(_VERSIONS)
            latest = self._latest(workflow_id)
            record = next_version(
                prepared,
                latest=latest,
                last_assigned=self._tables.table(_HEADS).get(workflow_id, 0),
                parent_version=parent_version,
                message=message,
                version_exists=lambda v: (workflow_id, v) in versions,
            )
            if record is None:
                assert latest is not None
                return latest
            self._tables.put(_VERSIONS, (workflow_id, record.version), record)
            self._tables.put(_HEADS, workflow_id, record.version)
            return _copy(record)

    def get(self, workflow_id: str, version: int) -> Workflow:
        validate_id(workflow_id, what="workflow id")
        check_version(version)
        with self._tables.lock:
            record: Workflow | None = self._tables.table(_VERSIONS).get((workflow_id, version))
        if record is None:
            raise not_found(workflow_id, version)
        return _copy(record)

    def get_latest(self, workflow_id: str) -> Workflow:
        validate_id(workflow_id, what="workflow id")
        with self._tables.lock:
            latest = self._latest(workflow_id)
        if latest is None:
            raise not_found(workflow_id)
        return latest

    def list(self, workflow_id: str) -> builtins.list[Workflow]:
        validate_id(workflow_id, what="workflow id")
        with self._tables.lock:
            versions = self._tables.table(_VERSIONS)
            last = self._tables.table(_HEADS).get(workflow_id, 0)
            found = (versions.get((workflow_id, v)) for v in range(1, last + 1))
            return [_copy(record) for record in found if record is not None]

    def list_all(self) -> builtins.list[Workflow]:
        with self._tables.lock:
            ids: builtins.list[str] = sorted(self._tables.table(_HEADS))  # type: ignore[arg-type]
            latest = (self._latest(wid) for wid in ids)
            return [_copy(record) for record in latest if record is not None]

    def delete(self, workflow_id: str, version: int) -> None:
        validate_id(workflow_id, what="workflow id")
        check_version(version)
        with self._tables.transaction():
            if (workflow_id, version) not in self._tables.table(_VERSIONS):
                raise not_found(workflow_id, version)
            self._tables.delete(_VERSIONS, (workflow_id, version))

    # -- transfer port ------------------------------------------------------------------

    def record_types(self) -> tuple[str, ...]:
        return ("workflows",)

    def count_records(self, record_type: str) -> int:
        check_record_type(self, record_type)
        with self._tables.lock:
            return len(self._tables.table(_VERSIONS))

    def export_records(self, record_type: str, *,
                       batch_size: int = 1000) -> Iterator[builtins.list[BaseModel]]:
        check_record_type(self, record_type)
        with self._tables.lock:
            keys = sorted(self._tables.table(_VERSIONS))  # type: ignore[type-var]
        for start in range(0, len(keys), batch_size):
            with self._tables.lock:
                table = self._tables.table(_VERSIONS)
                batch = [_copy(table[k]) for k in keys[start:start + batch_size] if k in table]
            yield builtins.list(batch)

    def import_records(self, record_type: str, records: Sequence[BaseModel]) -> int:
        check_record_type(self, record_type)
        versions = as_records(Workflow, records)
        written = 0
        with self._tables.transaction():
            table = self._tables.table(_VERSIONS)
            for record in versions:
                if (record.id, record.version) not in table:
                    self._tables.put(_VERSIONS, (record.id, record.version), _copy(record))
                    written += 1
            heads = self._tables.table(_HEADS)
            for workflow_id, top in highest_versions(versions).items():
                if heads.get(workflow_id, 0) < top:
                    self._tables.put(_HEADS, workflow_id, top)
        return written

    def _latest(self, workflow_id: str) -> Workflow | None:
        versions = self._tables.table(_VERSIONS)
        for version in range(self._tables.table(_HEADS).get(workflow_id, 0), 0, -1):
            record: Workflow | None = versions.get((workflow_id, version))
            if record is not None:
                return _copy(record)
        return None


def _copy(record: Workflow) -> Workflow:
    """Callers get their own copy: mutating a returned definition changes nothing stored."""
    return record.model_copy(deep=True)
