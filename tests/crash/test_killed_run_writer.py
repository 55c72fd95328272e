"""A process creating runs and their tasks in transactions is killed with SIGKILL; on
reopen every committed run is whole and no half-written run exists."""

from __future__ import annotations

import multiprocessing
import os
import signal
from multiprocessing.connection import Connection
from pathlib import Path

import pytest

import runstore
from runstore.testing.fixtures import unique_id

TASKS = 5


def _create_runs_forever(url: str, workflow_id: str, conn: Connection) -> None:
    with runstore.open(url) as store:
        while True:
            with store.transaction():
                run = store.runs.create_run(workflow_id, metadata={"pad": "x" * 500})
                store.runs.add_tasks(run.id, [{"name": f"t{n}", "spec": {"pad": "y" * 200}}
                                              for n in range(TASKS)])
                store.runs.set_run_status(run.id, "running")
            conn.send(run.id)


@pytest.fixture(params=["sqlite", "sqlite-full", "postgresql", "mariadb"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param.startswith("sqlite"):
        full = "?synchronous=full" if request.param == "sqlite-full" else ""
        return f"sqlite:///{tmp_path / 'runs.db'}{full}"
    fixture = "postgres_url" if request.param == "postgresql" else "mariadb_url"
    return str(request.getfixturevalue(fixture))


def test_sigkill_while_creating_runs_leaves_only_whole_runs(url: str) -> None:
    workflow_id = unique_id("crash")
    runstore.open(url).close()
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_create_runs_forever, args=(url, workflow_id, child))
    process.start()
    committed: list[str] = []
    while len(committed) < 30:
        assert parent.poll(60), "writer made no progress"
        committed.append(parent.recv())
    assert process.pid is not None
    os.kill(process.pid, signal.SIGKILL)
    process.join()
    while parent.poll():
        committed.append(parent.recv())

    with runstore.open(url) as store:
        stored = store.runs.list_runs(workflow_id=workflow_id, limit=10_000).items
        stored_ids = {run.id for run in stored}
        assert set(committed) <= stored_ids
        # At most the run whose commit was not yet reported, and it is whole too.
        assert len(stored_ids - set(committed)) <= 1
        for run in stored:
            assert run.status == "running"
            tasks = store.runs.get_tasks(run.id)
            assert [t.name for t in tasks] == [f"t{n}" for n in range(TASKS)]
