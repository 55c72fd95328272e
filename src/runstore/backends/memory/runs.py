"""Runs, tasks and attempts kept in memory: one document per run, under the tables' lock."""

from __future__ import annotations

from contextlib import AbstractContextManager

from runstore.backends._shared.run_documents import (
    DocumentRunRepository,
    IndexKind,
    RunDocument,
)
from runstore.backends._shared.run_transfer import DocumentRunTransfer
from runstore.backends.memory.tables import MemoryTables

__all__ = ["MemoryRunDocuments", "MemoryRunRepository"]

_RUNS = "runs"
_INDEX = "run_index"


class MemoryRunDocuments:
    """Run documents in ``MemoryTables``: every section is the tables' transaction, so
    claims are serialized by one lock and a failed write leaves nothing behind."""

    def __init__(self, tables: MemoryTables) -> None:
        self._tables = tables

    def exclusive(self, name: str) -> AbstractContextManager[None]:
        return self._tables.transaction()

    def load(self, run_id: str) -> RunDocument | None:
        with self._tables.lock:
            document: RunDocument | None = self._tables.table(_RUNS).get(run_id)
        return None if document is None else document.copy()

    def save(self, document: RunDocument) -> None:
        self._tables.put(_RUNS, document.run.id, document.copy())

    def remove(self, run_id: str) -> None:
        self._tables.delete(_RUNS, run_id)

    def run_ids(self) -> list[str]:
        with self._tables.lock:
            return sorted(self._tables.table(_RUNS))  # type: ignore[arg-type]

    def locate(self, kind: IndexKind, key: str) -> str | None:
        with self._tables.lock:
            found: str | None = self._tables.table(_INDEX).get((kind, key))
        return found

    def index(self, kind: IndexKind, key: str, run_id: str) -> None:
        self._tables.put(_INDEX, (kind, key), run_id)

    def unindex(self, kind: IndexKind, key: str) -> None:
        self._tables.delete(_INDEX, (kind, key))


class MemoryRunRepository(DocumentRunTransfer, DocumentRunRepository):
    """The runs repository of ``memory://``."""

    def __init__(self, tables: MemoryTables) -> None:
        super().__init__(MemoryRunDocuments(tables))
