"""Demo step: versioned workflow definitions."""

from __future__ import annotations

from runstore.models.common import JsonValue, content_hash
from runstore.store import Store

__all__ = ["DEMO_WORKFLOWS", "store_workflows"]

DEMO_WORKFLOWS: dict[str, list[dict[str, JsonValue]]] = {
    "nightly-etl": [
        {"tasks": {"extract": {}, "transform": {"depends_on": ["extract"]},
                   "load": {"depends_on": ["transform"]}}},
        {"tasks": {"extract": {}, "transform": {"depends_on": ["extract"]},
                   "validate": {"depends_on": ["transform"]},
                   "load": {"depends_on": ["validate"]}}},
    ],
    "agent-triage": [
        {"tasks": {"classify": {"kind": "local"}, "review": {"kind": "gate",
                                                             "depends_on": ["classify"]}}},
    ],
}


def store_workflows(store: Store) -> list[str]:
    """Store each demo definition; identical content comes back as the same version."""
    lines = []
    for workflow_id, versions in DEMO_WORKFLOWS.items():
        existing = {w.content_hash: w for w in store.workflows.list(workflow_id)}
        for definition in versions:
            record = existing.get(content_hash(definition))
            state = "already stored"
            if record is None:
                record = store.workflows.store(workflow_id, definition, message="runstore demo")
                state = "stored"
            lines.append(f"{workflow_id} v{record.version} ({state}, "
                         f"parent {record.parent_version or '-'}, "
                         f"sha256 {record.content_hash[:12]})")
    return lines
