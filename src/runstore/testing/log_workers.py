"""Work for spawned processes in the logs and metrics contracts (module level, so
``spawn`` can import it; takes a URL, returns plain data)."""

from __future__ import annotations

import runstore

__all__ = ["append_events", "record_executions"]


def append_events(url: str, run_id: str, tag: str, batches: int, size: int) -> list[int]:
    """Append ``batches`` batches of ``size`` events; return the last seq of each."""
    with runstore.open(url) as store:
        return [store.logs.append(run_id, [{"message": f"{tag}-{b}-{n}", "data": {"tag": tag}}
                                           for n in range(size)])
                for b in range(batches)]


def record_executions(url: str, workflow_id: str, tag: str, count: int) -> int:
    """Record ``count`` executions (durations 1..count ms); return how many were recorded."""
    with runstore.open(url) as store:
        for n in range(count):
            store.metrics.record_execution({
                "workflow_id": workflow_id, "workflow_version": 1, "run_id": f"{tag}-{n}",
                "success": n % 4 != 0, "duration_s": (n + 1) / 1000, "values": {"cost": 1.0},
            })
    return count
