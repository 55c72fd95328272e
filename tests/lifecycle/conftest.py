"""Stores for the retention tests: memory, files, SQLite and PostgreSQL (skipped with a
reason when the server is down, failed under CI=true), plus a dataset of runs with
everything that belongs to them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import runstore
from runstore.models.runs import Run, RunStatus

BACKENDS = ["memory", "files", "sqlite", "postgres"]


def url_for(backend: str, tmp_path: Path, request: pytest.FixtureRequest, name: str) -> str:
    """A fresh store URL of ``backend`` (``name`` tells stores of one test apart)."""
    if backend == "memory":
        return "memory://"
    if backend == "files":
        return f"file://{tmp_path / name}"
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / f'{name}.db'}"
    server: str = request.getfixturevalue("postgres_url")
    return f"{server}?artifacts=file://{tmp_path / f'{name}-blobs'}"


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[runstore.Store]:
    with runstore.open(url_for(request.param, tmp_path, request, "source")) as opened:
        yield opened


@dataclass(frozen=True)
class Made:
    """A run made by :func:`make_run` and the ids of what belongs to it."""

    run: Run
    conversation_id: str
    attachment_sha256: str


def make_run(store: runstore.Store, workflow_id: str, status: str = "succeeded", *,
             n: int = 0, events: int = 3) -> Made:
    """A run with two tasks (one claimed and released, so it has an attempt), a log
    record and ``events`` events, and a linked conversation with a message and an
    attachment. ``status`` is the run's final status (``running`` leaves it active)."""
    run = store.runs.create_run(workflow_id, 1, metadata={"n": n})
    store.runs.add_tasks(run.id, [{"name": "a"}, {"name": "b", "depends_on": ["a"]}],
                         status="ready")
    claim = store.runs.claim(f"worker-{n}", run_id=run.id)
    assert claim is not None
    store.runs.release(claim, "succeeded", outputs={"rows": n})
    if status != "skipped":  # a skipped run never ran
        store.runs.set_run_status(run.id, "running")
    if RunStatus(status).terminal:
        store.runs.set_run_status(run.id, status, reason=f"ended {status}")
    store.logs.append(run.id, [{"message": f"event {k}", "data": {"k": k}}
                               for k in range(events)])
    current = store.runs.get_run(run.id)
    store.logs.store_log({"run_id": run.id, "workflow_id": workflow_id, "workflow_version": 1,
                          "status": status, "started_at": current.started_at or current.created_at,
                          "finished_at": current.finished_at})
    cid = f"conv-{run.id}"
    store.conversations.save_conversation({"id": cid, "source": "agent", "run_id": run.id})
    store.conversations.save_messages([{"id": "m0", "conversation_id": cid, "position": 0,
                                        "role": "user", "content": f"hello {n}"}])
    attachment = store.conversations.attach(cid, f"attachment of {run.id}".encode(),
                                            name="notes.txt", message_id="m0")
    return Made(current, cid, attachment.sha256)
