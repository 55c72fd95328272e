"""Workflow definitions: versioned, immutable, content-hashed."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, field_validator

from runstore.models.common import ID_PATTERN, JsonObject, Record, ensure_utc

__all__ = ["Workflow"]


class Workflow(Record):
    """One immutable version of a workflow definition.

    ``content_hash`` is the sha256 of the canonical JSON of ``definition``;
    ``parent_version`` records lineage (``None`` for a first version).
    """

    id: str = Field(pattern=ID_PATTERN.pattern)
    version: int = Field(ge=1)
    definition: JsonObject
    parent_version: int | None = Field(default=None, ge=1)
    content_hash: str = Field(pattern=r"[0-9a-f]{64}")
    message: str | None = None
    created_at: datetime

    @field_validator("created_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return ensure_utc(value)
