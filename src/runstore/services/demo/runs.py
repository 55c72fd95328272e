"""Demo step: a run of a demo workflow, executed end to end by two worker threads."""

from __future__ import annotations

import threading
import time
from typing import Any

from runstore.models.runs import RunStatus
from runstore.services.demo.workflows import DEMO_WORKFLOWS
from runstore.store import Store

__all__ = ["execute_workflow_run"]

WORKFLOW = "nightly-etl"


def _specs(definition: dict[str, Any]) -> list[dict[str, Any]]:
    tasks: dict[str, dict[str, Any]] = definition.get("tasks", {})
    return [{"name": name, "kind": body.get("kind", "local"),
             "depends_on": body.get("depends_on", []), "spec": {"demo": True}}
            for name, body in tasks.items()]


def execute_workflow_run(store: Store) -> list[str]:
    """Create a run of the latest ``nightly-etl`` and let two workers claim, heartbeat
    and release its tasks until every one has succeeded."""
    try:
        workflow = store.workflows.get_latest(WORKFLOW)
        definition, version = dict(workflow.definition), workflow.version
    except Exception:  # the workflows repository may live elsewhere: use the demo copy
        definition, version = dict(DEMO_WORKFLOWS[WORKFLOW][-1]), None
    run = store.runs.create_run(WORKFLOW, version, metadata={"source": "runstore demo"})
    store.runs.add_tasks(run.id, _specs(definition), status="ready")
    store.runs.set_run_status(run.id, "running")
    total = len(store.runs.get_tasks(run.id))
    done: list[str] = []
    lines: list[str] = []
    lock = threading.Lock()
    waits = {"worker-1": 0, "worker-2": 0}

    def worker(name: str) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with lock:
                if len(done) == total:
                    return
            claim = store.runs.claim(name, lease_seconds=30, run_id=run.id)
            if claim is None:
                waits[name] += 1
                time.sleep(0.01)  # the next task waits on a dependency another worker holds
                continue
            claim = store.runs.heartbeat(claim)
            store.runs.release(claim, "succeeded", outputs={"worker": name})
            with lock:
                done.append(claim.task.name)
                lines.append(f"{name} claimed {claim.task.name} (attempt "
                             f"{claim.attempt.number}), heartbeat, released as succeeded")

    threads = [threading.Thread(target=worker, args=(f"worker-{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    finished = all(t.status is RunStatus.SUCCEEDED for t in store.runs.get_tasks(run.id))
    final = store.runs.set_run_status(run.id, "succeeded" if finished else "failed",
                                      reason=None if finished else "demo workers timed out")
    lines.insert(0, f"run {run.id} of {WORKFLOW} v{version or '-'}: {total} tasks")
    for name, count in waits.items():
        lines.append(f"{name}: {sum(1 for line in lines if line.startswith(name))} tasks, "
                     f"{count} polls with nothing claimable (waiting on dependencies)")
    lines.append(f"run {final.status.value}; see: runstore runs show {run.id}")
    return lines
