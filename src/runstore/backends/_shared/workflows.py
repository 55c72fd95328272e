"""Backend-independent rules of the workflows repository."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from runstore.errors import InvalidInput, NotFound
from runstore.models.common import content_hash, utcnow, validate_id
from runstore.models.workflows import Workflow

__all__ = [
    "PreparedDefinition",
    "check_version",
    "highest_versions",
    "next_version",
    "not_found",
    "prepare",
]


class PreparedDefinition:
    """A validated definition with its canonical content hash."""

    __slots__ = ("content_hash", "definition", "workflow_id")

    def __init__(self, workflow_id: str, definition: dict[str, Any], digest: str) -> None:
        self.workflow_id = workflow_id
        self.definition = definition
        self.content_hash = digest


def prepare(workflow_id: object, definition: object) -> PreparedDefinition:
    """Validate the id and the definition (a JSON object) and hash it."""
    validate_id(workflow_id, what="workflow id")
    assert isinstance(workflow_id, str)
    if not isinstance(definition, Mapping):
        raise InvalidInput(
            f"workflow {workflow_id!r}: definition must be a mapping, "
            f"not {type(definition).__name__}"
        )
    plain = dict(definition)
    return PreparedDefinition(
        workflow_id, plain, content_hash(plain, what=f"workflow {workflow_id!r} definition")
    )


def not_found(workflow_id: str, version: int | None = None) -> NotFound:
    """The ``NotFound`` for a workflow or one of its versions."""
    if version is None:
        return NotFound("workflow", workflow_id, f"workflow {workflow_id!r} has no versions")
    return NotFound(
        "workflow", (workflow_id, version), f"workflow {workflow_id!r} version {version} not found"
    )


def next_version(
    prepared: PreparedDefinition,
    *,
    latest: Workflow | None,
    last_assigned: int,
    parent_version: int | None,
    message: str | None,
    version_exists: Callable[[int], bool],
) -> Workflow | None:
    """The record to insert, or ``None`` when ``latest`` already has this content.

    ``last_assigned`` is the highest version ever given to this id (deleted versions
    are never reused). Must run under the backend's exclusive section for the id.
    """
    if latest is not None and latest.content_hash == prepared.content_hash:
        return None
    if parent_version is not None:
        if not isinstance(parent_version, int) or isinstance(parent_version, bool):
            raise InvalidInput(f"parent_version must be an int, not {parent_version!r}")
        if not version_exists(parent_version):
            raise not_found(prepared.workflow_id, parent_version)
    if message is not None and not isinstance(message, str):
        raise InvalidInput(f"message must be a string, not {type(message).__name__}")
    return Workflow(
        id=prepared.workflow_id,
        version=max(last_assigned, latest.version if latest else 0) + 1,
        definition=prepared.definition,
        parent_version=parent_version if parent_version is not None
        else (latest.version if latest else None),
        content_hash=prepared.content_hash,
        message=message,
        created_at=utcnow(),
    )


def check_version(version: object) -> int:
    """A version number is a positive int."""
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InvalidInput(f"workflow version must be a positive int, not {version!r}")
    return version


def highest_versions(records: Iterable[Workflow]) -> dict[str, int]:
    """The highest version per workflow id among ``records`` (to advance version heads)."""
    top: dict[str, int] = {}
    for record in records:
        top[record.id] = max(top.get(record.id, 0), record.version)
    return top
