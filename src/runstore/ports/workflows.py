"""The workflows repository port."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Protocol

from runstore.models.common import JsonValue
from runstore.models.workflows import Workflow

__all__ = ["WorkflowRepository"]


class WorkflowRepository(Protocol):
    """Versioned, immutable workflow definitions.

    Versions are numbered 1, 2, 3... per workflow id. Storing a definition whose
    canonical content hash equals the latest version's returns that version.
    """

    def store(
        self,
        workflow_id: str,
        definition: Mapping[str, JsonValue],
        *,
        parent_version: int | None = None,
        message: str | None = None,
    ) -> Workflow:
        """Store ``definition`` as the next version of ``workflow_id``.

        ``parent_version`` defaults to the current latest version and must exist when
        given. Raises ``InvalidInput`` for a bad id or a definition that is not JSON.
        """
        ...

    def get(self, workflow_id: str, version: int) -> Workflow:
        """One version; ``NotFound`` when absent."""
        ...

    def get_latest(self, workflow_id: str) -> Workflow:
        """The highest version; ``NotFound`` when the workflow has none."""
        ...

    def list(self, workflow_id: str) -> builtins.list[Workflow]:
        """Every version of ``workflow_id``, ascending (empty when unknown)."""
        ...

    def list_all(self) -> builtins.list[Workflow]:
        """The latest version of each workflow, sorted by id."""
        ...

    def delete(self, workflow_id: str, version: int) -> None:
        """Remove one version; ``NotFound`` when absent."""
        ...
