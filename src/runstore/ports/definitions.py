"""The definitions port: immutable symbolic definitions, addressed by content hash."""

from __future__ import annotations

from typing import Protocol

from runstore.models.common import JsonValue

__all__ = ["DefinitionRepository"]


class DefinitionRepository(Protocol):
    """Immutable JSON definitions named by the sha256 of their canonical JSON."""

    def put(self, definition: JsonValue) -> str:
        """Store ``definition`` and return its content hash; storing it again is a no-op.

        ``InvalidInput`` when it is not plain JSON (NaN, non-string keys, objects).
        """
        ...

    def get(self, content_hash: str) -> JsonValue:
        """The definition with this hash; ``NotFound`` when absent."""
        ...

    def has(self, content_hash: str) -> bool:
        """True when a definition with this hash is stored."""
        ...
