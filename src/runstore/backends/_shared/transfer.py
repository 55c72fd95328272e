"""Helpers for implementing the transfer port."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Protocol, TypeVar

from pydantic import BaseModel

from runstore.errors import InvalidInput
from runstore.models.common import coerce
from runstore.services.batches import batched

__all__ = ["StreamedTransfer", "as_records", "check_record_type"]

M = TypeVar("M", bound=BaseModel)


class _HasRecordTypes(Protocol):
    def record_types(self) -> tuple[str, ...]: ...


def check_record_type(repository: _HasRecordTypes, record_type: str) -> None:
    """``InvalidInput`` unless ``record_type`` is one of the repository's."""
    if record_type not in repository.record_types():
        raise InvalidInput(f"unknown record type {record_type!r}; "
                           f"known: {', '.join(repository.record_types())}")


def as_records(model: type[M], records: Sequence[object]) -> list[M]:
    """Validate imported records as ``model`` (instances, other models or dicts)."""
    typed: list[M] = []
    for record in records:
        if isinstance(record, model):
            typed.append(record)
        elif isinstance(record, BaseModel):
            typed.append(coerce(model, record.model_dump()))
        elif isinstance(record, Mapping):
            typed.append(coerce(model, record))
        else:
            raise InvalidInput(f"cannot import {type(record).__name__} as {model.__name__}")
    return typed



class StreamedTransfer:
    """``count_records`` and ``export_records`` over ``_each(record_type)``, the records
    of a type in a stable order; a repository mixes it in and defines ``record_types``,
    ``_each`` and ``import_records``."""

    def record_types(self) -> tuple[str, ...]:
        raise NotImplementedError

    def count_records(self, record_type: str) -> int:
        check_record_type(self, record_type)
        return sum(1 for _ in self._each(record_type))

    def export_records(self, record_type: str, *,
                       batch_size: int = 1000) -> Iterator[list[BaseModel]]:
        check_record_type(self, record_type)
        yield from batched(self._each(record_type), batch_size)

    def _each(self, record_type: str) -> Iterator[BaseModel]:
        raise NotImplementedError
