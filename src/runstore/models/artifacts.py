"""Artifact references: what the database keeps about a blob in the artifact store."""

from __future__ import annotations

from pydantic import Field

from runstore.models.common import Record

__all__ = ["SHA256_PATTERN", "ArtifactRef"]

SHA256_PATTERN = r"^[0-9a-f]{64}$"


class ArtifactRef(Record):
    """A blob in the artifact store, named by the sha256 of its bytes.

    ``media_type`` is the first media type given when the bytes were stored (``None``
    when none was given); the same bytes stored twice are stored once.
    """

    sha256: str = Field(pattern=SHA256_PATTERN)
    size: int = Field(ge=0)
    media_type: str | None = Field(default=None, min_length=1, max_length=255)
