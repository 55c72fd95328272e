"""The transfer port: bulk export and import of a repository's records.

``runstore copy``, ``verify``, ``export`` and ``prune --archive-to`` are written against
this port only. A repository that implements it lists its record types (for example
``("workflows",)`` or ``("runs", "tasks", "attempts")``); records are its pydantic models,
so the same record compares equal whatever backend it came from.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from pydantic import BaseModel

__all__ = ["Transferable"]


class Transferable(Protocol):
    """Bulk access for data mobility. Imports preserve ids and timestamps exactly."""

    def record_types(self) -> tuple[str, ...]:
        """The record types this repository holds, parents before children."""
        ...

    def count_records(self, record_type: str) -> int:
        """How many records of ``record_type`` are stored."""
        ...

    def export_records(
        self, record_type: str, *, batch_size: int = 1000
    ) -> Iterator[list[BaseModel]]:
        """Every record of ``record_type`` in batches, in a stable order, in bounded memory."""
        ...

    def import_records(self, record_type: str, records: Sequence[BaseModel]) -> int:
        """Insert the records whose keys are not stored yet; return how many were written.

        Records already present are left alone, so an interrupted copy can be re-run.
        """
        ...
