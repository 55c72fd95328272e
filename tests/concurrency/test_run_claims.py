"""Four processes x two threads claim and release 2,000 tasks on SQLite, PostgreSQL and
MariaDB: each task is completed exactly once, no attempt is lost, and the tasks of a
worker killed with SIGKILL while holding claims are reclaimed once their leases expire."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from multiprocessing.connection import Connection
from pathlib import Path

import pytest

import runstore
from runstore.models.runs import RunStatus
from runstore.testing.fixtures import run_in_processes, unique_id
from runstore.testing.run_workers import work_until_empty

TASKS, PROCESSES, THREADS, HELD = 2000, 4, 2, 5
VICTIM_LEASE = 5.0  # the victim must not outlive its own first lease on a slow machine


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'claims.db'}"
    fixture = "postgres_url" if request.param == "postgresql" else "mariadb_url"
    return str(request.getfixturevalue(fixture))


def _claim_and_hang(url: str, run_id: str, conn: Connection) -> None:
    """Claim ``HELD`` tasks with a short lease, report them, then wait to be killed."""
    with runstore.open(url) as store:
        held = []
        for _ in range(HELD):
            claim = store.runs.claim("victim", lease_seconds=VICTIM_LEASE, run_id=run_id)
            assert claim is not None
            held.append(claim.task_id)
        conn.send(held)
        conn.recv()  # never arrives: the parent kills this process


def test_workers_complete_every_task_once_and_reclaim_a_killed_workers_tasks(url: str) -> None:
    with runstore.open(url) as store:
        run = store.runs.create_run(unique_id("wf"))
        task_ids = [t.id for t in store.runs.add_tasks(
            run.id, [{"name": f"t{n:04d}"} for n in range(TASKS)], status="ready")]

    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    victim = context.Process(target=_claim_and_hang, args=(url, run.id, child))
    victim.start()
    assert parent.poll(120), "the victim claimed nothing"
    held: list[str] = parent.recv()
    assert victim.pid is not None
    os.kill(victim.pid, signal.SIGKILL)
    victim.join()

    results = run_in_processes(work_until_empty,
                               [(url, f"p{n}", THREADS, run.id) for n in range(PROCESSES)],
                               timeout=600)
    done = [task for result in results for task in result]
    with runstore.open(url) as store:
        # Whatever the workers did not reclaim yet becomes claimable when its lease ends.
        deadline = time.monotonic() + 60
        while len(done) < TASKS and time.monotonic() < deadline:
            claim = store.runs.claim("rescuer", run_id=run.id)
            if claim is None:
                time.sleep(0.05)  # pacing only: the loop ends when every task is done
                continue
            store.runs.release(claim, "succeeded", outputs={"worker": "rescuer"})
            done.append(claim.task_id)

        assert len(done) == TASKS
        assert sorted(done) == sorted(task_ids)  # every task exactly once
        tasks = store.runs.get_tasks(run.id)
        assert all(task.status is RunStatus.SUCCEEDED for task in tasks)
        assert store.runs.get_active_attempts(run.id) == []
        attempts = {task_id: store.runs.list_attempts(task_id) for task_id in held}
        for task_id in held:
            first, second = attempts[task_id]
            assert (first.worker_id, first.status, first.error) == (
                "victim", RunStatus.FAILED, "lease expired")
            assert second.status is RunStatus.SUCCEEDED
        others = [t for t in tasks if t.id not in set(held)]
        for task in others[:: max(1, len(others) // 50)]:
            [only] = store.runs.list_attempts(task.id)
            assert only.status is RunStatus.SUCCEEDED
        counted = sum(len(store.runs.list_attempts(t.id)) for t in tasks)
        assert counted == TASKS + HELD  # one attempt per completion, plus the lost leases
