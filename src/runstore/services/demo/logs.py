"""Demo step: execution logs and metrics for a few runs (independent of the runs
repository: run ids come from ``new_id()``)."""

from __future__ import annotations

import random
from datetime import timedelta

from runstore.models.common import new_id, utcnow
from runstore.store import Store

__all__ = ["record_logs_and_metrics"]

WORKFLOW = "nightly-etl"


def record_logs_and_metrics(store: Store) -> list[str]:
    """Log five runs of the demo workflow, record their metrics, summarize."""
    rng = random.Random()
    now = utcnow()
    lines = []
    for n in range(5):
        run_id = new_id("run-")
        started = now - timedelta(minutes=10 * (5 - n))
        failed = n == 3
        events = [{"ts": started, "message": "run started", "kind": "run.start"}]
        total_rows = 0
        for step, task in enumerate(("extract", "transform", "load")):
            rows = rng.randint(100, 5000)
            total_rows += rows
            events.append({"ts": started + timedelta(seconds=10 * step + 5), "task_id": task,
                           "message": f"{task} done", "data": {"rows": rows},
                           "kind": "task.finish"})
        if failed:
            events.append({"ts": started + timedelta(seconds=31), "level": "error",
                           "task_id": "load", "message": "load failed: connection reset"})
        duration = 31.0 + rng.random() * 20
        last = store.logs.append(run_id, events)
        store.logs.store_log({
            "run_id": run_id, "workflow_id": WORKFLOW, "workflow_version": 2,
            "status": "failed" if failed else "succeeded", "started_at": started,
            "finished_at": started + timedelta(seconds=duration),
            "error": "ConnectionResetError in load" if failed else None,
            "attributes": {"demo": True}})
        store.metrics.record_execution({
            "workflow_id": WORKFLOW, "workflow_version": 2, "run_id": run_id,
            "success": not failed, "duration_s": duration,
            "finished_at": started + timedelta(seconds=duration),
            "values": {"rows": float(total_rows), "cost_usd": 0.02}})
        lines.append(f"{run_id}: {last} events, {'failed' if failed else 'succeeded'} "
                     f"in {duration:.1f}s")
    summary = store.metrics.get_summary(WORKFLOW, 2)
    lines.append(f"{WORKFLOW} v2: {summary.count} executions, success rate "
                 f"{summary.success_rate:.0%}, p50 {summary.duration_p50:.1f}s, "
                 f"p95 {summary.duration_p95:.1f}s, rows {summary.values['rows'].sum:,.0f}")
    lines.append(f"try: runstore logs query --workflow {WORKFLOW} --status failed; "
                 f"runstore metrics summary {WORKFLOW}")
    return lines
