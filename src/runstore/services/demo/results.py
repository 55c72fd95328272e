"""Demo step: run the nightly-etl tasks through the results cache.

Each task's key is its name plus the content hash of its definition and inputs, so a
second demo finds every result cached and skips the work. The ``transform`` output is
larger than the inline limit and lands in the artifact store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from runstore.models.common import JsonValue, content_hash
from runstore.services.materialize import MaterializationStore
from runstore.store import Store

__all__ = ["cache_task_results"]

_TASKS: list[tuple[str, list[str], str]] = [  # name, inputs, serializer
    ("extract", [], "json"),
    ("transform", ["extract"], "bytes"),
    ("validate", ["transform"], "json"),
    ("load", ["validate"], "json"),
]


def _extract(_: dict[str, Any]) -> Any:
    return {"rows": [{"id": n, "amount": n * 3 % 17} for n in range(200)]}


def _transform(inputs: dict[str, Any]) -> Any:
    rows = inputs["extract"]["rows"]
    line = ",".join(f"{r['id']}:{r['amount']}" for r in rows).encode()
    return line * (2 * 1024 * 1024 // len(line) + 1)  # about 2 MiB: goes to artifacts


def _validate(inputs: dict[str, Any]) -> Any:
    blob = inputs["transform"]
    return {"bytes": len(blob), "sha256": hashlib.sha256(blob).hexdigest(), "ok": True}


def _load(inputs: dict[str, Any]) -> Any:
    return {"loaded": inputs["validate"]["bytes"], "table": "warehouse.amounts"}


_WORK: dict[str, Callable[[dict[str, Any]], Any]] = {
    "extract": _extract, "transform": _transform, "validate": _validate, "load": _load,
}


def cache_task_results(store: Store) -> list[str]:
    """Run each task unless its result is cached; say which ran and which were skipped."""
    cache = MaterializationStore(store.results, read_through=True, write_through=True)
    tasks: list[JsonValue] = [[name, list(deps)] for name, deps, _ in _TASKS]
    definition = store.definitions.put({"workflow": "nightly-etl", "tasks": tasks})
    keys: dict[str, str] = {}
    lines = [f"definition sha256 {definition[:12]}"]
    for name, deps, serializer in _TASKS:
        key = f"demo/nightly-etl/{name}/" + content_hash(
            {"definition": definition, "inputs": [keys[d] for d in deps]})[:16]
        keys[name] = key
        found = cache.lookup(key)
        if found is not None and found.ok:
            state = "skipped: cached result"
        else:
            cache.put_success(key, _WORK[name]({d: cache.get(keys[d]) for d in deps}),
                              serializer=serializer, metadata={"task": name})
            state = "ran and cached"
        record = store.results.get_record(key)
        where = ""
        if record is not None and record.artifact is not None:
            where = f", {record.size} bytes in artifact {record.artifact.sha256[:12]}"
        lines.append(f"{name} ({state}{where})")
    return lines
