"""Helpers for implementing the transfer port."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, TypeVar

from pydantic import BaseModel

from runstore.errors import InvalidInput
from runstore.models.common import coerce

__all__ = ["as_records", "check_record_type"]

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
