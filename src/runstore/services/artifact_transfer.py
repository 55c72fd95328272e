"""The artifacts repository in ``copy``, ``verify`` and ``export``.

Blob stores have no bulk port of their own: :class:`ArtifactTransfer` gives any
:class:`~runstore.ports.artifacts.ArtifactRepository` the transfer port. Its records are
:class:`~runstore.models.artifacts.ArtifactRef` (hash, size, media type). Importing a
ref streams that blob from the ``source`` repository into this one, one blob at a time
through the stores' chunked ``open``/``put``, so memory stays bounded whatever the size
of a blob; the bytes are checked against their hash as they are read.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Final

from pydantic import BaseModel

from runstore.errors import CorruptRecord, InvalidInput, UnsupportedOperation
from runstore.models.artifacts import ArtifactRef
from runstore.models.common import coerce
from runstore.ports.artifacts import ArtifactRepository
from runstore.services.batches import batched

__all__ = ["ARTIFACT_RECORD_TYPES", "ArtifactTransfer", "is_artifact_repository"]

ARTIFACT_RECORD_TYPES: Final = ("artifacts",)
_METHODS: Final = ("iter_refs", "exists", "open", "put")


def is_artifact_repository(candidate: object) -> bool:
    """True when ``candidate`` has what :class:`ArtifactTransfer` uses."""
    return all(callable(getattr(candidate, name, None)) for name in _METHODS)


class ArtifactTransfer:
    """The transfer port over ``artifacts``; imports read the bytes from ``source``."""

    def __init__(self, artifacts: ArtifactRepository,
                 source: ArtifactRepository | None = None) -> None:
        self._artifacts = artifacts
        self._source = source

    def record_types(self) -> tuple[str, ...]:
        return ARTIFACT_RECORD_TYPES

    def count_records(self, record_type: str) -> int:
        _check(record_type)
        return sum(1 for _ in self._artifacts.iter_refs())

    def export_records(self, record_type: str, *,
                       batch_size: int = 1000) -> Iterator[list[BaseModel]]:
        _check(record_type)
        refs: Iterator[BaseModel] = self._artifacts.iter_refs()
        yield from batched(refs, batch_size)

    def import_records(self, record_type: str, records: Sequence[BaseModel]) -> int:
        """Copy the blobs this store lacks from ``source``; returns how many."""
        _check(record_type)
        if self._source is None:
            raise UnsupportedOperation("artifact refs carry no bytes: give the store to read "
                                       "them from (ArtifactTransfer(artifacts, source=...))")
        written = 0
        for record in records:
            ref = coerce(ArtifactRef, record if isinstance(record, ArtifactRef)
                         else record.model_dump(), what="artifact ref")
            if self._artifacts.exists(ref.sha256):
                continue
            with self._source.open(ref.sha256) as stream:
                stored = self._artifacts.put(stream, media_type=ref.media_type)
            if stored.sha256 != ref.sha256:  # the reader checks too; never trust one side
                raise CorruptRecord(f"artifact {ref.sha256}",
                                    f"copied bytes hash to {stored.sha256}")
            written += 1
        return written


def _check(record_type: str) -> None:
    if record_type not in ARTIFACT_RECORD_TYPES:
        raise InvalidInput(f"unknown record type {record_type!r}; known: artifacts")
