"""A small dataset touching every repository, written through the public API, and the
spot checks that compare two stores through the public API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import runstore
from runstore.models.logs import LogEvent

T0 = datetime(2024, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)
LARGE = bytes(range(256)) * 64  # 16 KiB: over the source's inline limit of 1 KiB
RESULT_KEYS = ("r/json", "r/bytes", "r/failure", "r/large")


def fill(store: runstore.Store, *, runs: int = 3, events: int = 25) -> dict[str, str]:
    """Write the dataset; returns ids the checks look up (run ids, a blob hash)."""
    ids: dict[str, str] = {}
    _workflows(store)
    for n in range(runs):
        ids[f"run{n}"] = _run(store, n, events)
    store.logs.append("events-only", [{"message": "no record", "level": "warning"}])
    _metrics(store)
    _results(store)
    ids["definition"] = store.definitions.put({"op": "add", "args": [1, 2.5, None, "x"]})
    store.definitions.put(["a", {"nested": True}])
    _conversations(store)
    ids["blob"] = store.artifacts.put(b"a free-standing blob", media_type="text/plain").sha256
    return ids


def _workflows(store: runstore.Store) -> None:
    for n in range(6):
        store.workflows.store(f"wf-{n % 2}", {"steps": ["extract", "load"], "n": n},
                              message=f"change {n}", parent_version=n // 2 or None)
    store.workflows.delete("wf-1", 2)


def _run(store: runstore.Store, n: int, events: int) -> str:
    runs = store.runs
    run = runs.create_run(f"wf-{n % 2}", 1 + n % 2, metadata={"n": n, "who": "matrix"})
    runs.set_run_status(run.id, "running")
    first, second, third, _ = runs.add_tasks(run.id, [
        {"name": "extract"}, {"name": "load", "depends_on": ["extract"], "spec": {"rows": n}},
        {"name": "hpc", "kind": "external"}, {"name": "report", "depends_on": ["load"]}],
        status="ready")
    claim = runs.claim(f"worker-{n}", run_id=run.id)
    assert claim is not None
    assert claim.task_id == first.id
    runs.release(claim, "succeeded", outputs={"rows": 10 * n})
    job = runs.create_attempt(third.id, executor="slurm", external_id=f"job-{n}")
    runs.update_attempt(job.id, status="running")
    held = runs.claim(f"worker-{n}", run_id=run.id, lease_seconds=3600)
    assert held is not None
    assert held.task_id == second.id  # left leased
    if n % 2:
        runs.set_run_status(run.id, "failed", reason="load crashed")
    store.logs.append(run.id, [
        LogEvent(ts=T0 + timedelta(seconds=k), level="error" if k % 7 == 6 else "info",
                 message=f"event {k}", data={"k": k, "ratio": k / 3} if k % 2 else {},
                 task_id=first.id if k % 3 == 0 else None,
                 attempt_id=claim.attempt_id if k % 5 == 0 else None,
                 kind="progress" if k % 4 == 0 else None)
        for k in range(events)])
    if n != 1:
        store.logs.store_log({
            "run_id": run.id, "workflow_id": f"wf-{n % 2}", "workflow_version": 1 + n % 2,
            "status": "succeeded" if n % 2 == 0 else "failed", "started_at": T0,
            "finished_at": T0 + timedelta(seconds=30 + n), "error": None,
            "attributes": {"host": "h1", "n": n}})
    return run.id


def _metrics(store: runstore.Store) -> None:
    for n in range(12):
        store.metrics.record_execution({
            "workflow_id": f"wf-{n % 2}", "workflow_version": 1 + n % 3, "run_id": f"m-{n}",
            "success": n % 4 != 3, "duration_s": 0.5 + n * 1.25,
            "finished_at": T0 + timedelta(days=n % 5, minutes=n),
            "values": {"cost": n * 0.1, "rows": float(n * 100)} if n % 2 else {}})
    store.metrics.record_pattern({"id": "pat-slow", "workflow_id": "wf-0", "kind": "slow-step",
                                  "description": "load is slow", "evidence": {"p95": 12.5},
                                  "confidence": 0.75, "detected_at": T0})
    store.metrics.record_pattern({"workflow_id": "wf-1", "workflow_version": 2,
                                  "kind": "error", "confidence": 1.0})


def _results(store: runstore.Store) -> None:
    store.results.put_success("r/json", {"rows": [1, 2, 3], "ok": True},
                              metadata={"task": "extract"})
    store.results.put_success("r/bytes", b"\x00\xffraw bytes", serializer="bytes")
    try:
        raise KeyError("rows")
    except KeyError as exc:
        store.results.put_failure("r/failure", exc, metadata={"attempt": 2})
    store.results.put_success("r/large", LARGE, serializer="bytes")


def _conversations(store: runstore.Store) -> None:
    for n in range(3):
        cid = f"conv-{n}"
        store.conversations.save_conversation({
            "id": cid, "source": "agent", "run_id": f"linked-{n}", "title": f"chat {n}",
            "created_at": T0 + timedelta(hours=n), "metadata": {"n": n}})
        store.conversations.save_messages([
            {"id": f"m{k}", "conversation_id": cid, "position": k,
             "role": "user" if k % 2 == 0 else "assistant", "content": f"text {k}"}
            for k in range(4)])
        store.conversations.attach(cid, f"attachment of {n}".encode(), name="notes.txt",
                                   media_type="text/plain", message_id="m1")


def assert_same(source: runstore.Store, copy: runstore.Store, ids: dict[str, str]) -> None:
    """Spot checks through the public API: what a user reads back is the same."""
    for wid in ("wf-0", "wf-1"):
        assert copy.workflows.list(wid) == source.workflows.list(wid)
        for version in (1, 2, 3, None):
            assert copy.metrics.get_summary(wid, version) == \
                source.metrics.get_summary(wid, version)
        assert copy.metrics.get_trend(wid, bucket="week") == \
            source.metrics.get_trend(wid, bucket="week")
        assert copy.metrics.get_patterns(wid) == source.metrics.get_patterns(wid)
    for key, run_id in ids.items():
        if not key.startswith("run"):
            continue
        assert copy.runs.get_run(run_id) == source.runs.get_run(run_id)
        tasks = source.runs.get_tasks(run_id)
        assert copy.runs.get_tasks(run_id) == tasks
        for task in tasks:
            assert copy.runs.list_attempts(task.id) == source.runs.list_attempts(task.id)
        assert copy.logs.get_log(run_id) == source.logs.get_log(run_id)
    assert copy.logs.get_log("events-only") == source.logs.get_log("events-only")
    assert copy.logs.query({"limit": 100}) == source.logs.query({"limit": 100})
    for key in RESULT_KEYS:
        original, copied = source.results.get_record(key), copy.results.get_record(key)
        assert original is not None
        assert copied is not None
        assert copied == original
        assert copied.value == original.value
    large = copy.results.get_record("r/large")
    assert large is not None
    assert large.artifact is not None
    assert large.value == LARGE
    assert copy.definitions.get(ids["definition"]) == source.definitions.get(ids["definition"])
    for n in range(3):
        cid = f"conv-{n}"
        assert copy.conversations.get_messages(cid) == source.conversations.get_messages(cid)
        attachments = copy.conversations.get_attachments(cid)
        assert attachments == source.conversations.get_attachments(cid)
        assert copy.artifacts.get(attachments[0].sha256) == f"attachment of {n}".encode()
    assert copy.artifacts.stat(ids["blob"]) == source.artifacts.stat(ids["blob"])
