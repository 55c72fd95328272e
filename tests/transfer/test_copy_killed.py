"""A copy killed with SIGKILL in the middle is simply run again: the destination ends
identical to the source (``verify``) and nothing is duplicated."""

from __future__ import annotations

import multiprocessing
import os
import signal
from multiprocessing.connection import Connection
from pathlib import Path

import pytest

import runstore
from runstore.services.transfer import copy
from tests.transfer.dataset import assert_same, fill

RUNS = 40
EVENTS = 500
BATCH = 50


def _copy_reporting_progress(source: str, destination: str, conn: Connection) -> None:
    """Copy, sending ``(record type, records so far)`` after every batch."""
    done: dict[str, int] = {}

    def progress(name: str, count: int, total: int | None) -> None:
        done[name] = done.get(name, 0) + count
        conn.send((name, done[name]))

    with runstore.open(source) as src, runstore.open(destination) as dst:
        copy(src, dst, batch_size=BATCH, progress=progress)
    conn.send(("finished", 0))


@pytest.fixture(params=["sqlite", "postgresql", "file"])
def destination(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'copy.db'}"
    if request.param == "file":
        return f"file://{tmp_path / 'copy'}"
    url = str(request.getfixturevalue("postgres_url"))
    return f"{url}?artifacts=file://{tmp_path / 'pg-blobs'}"


def test_a_killed_copy_resumes_and_ends_identical(destination: str, tmp_path: Path) -> None:
    source_url = f"sqlite:///{tmp_path / 'source.db'}"
    with runstore.open(source_url, inline_limit=1024) as source:
        ids = fill(source, runs=RUNS, events=EVENTS)
        total_events = source.logs.count_records("log_events")  # type: ignore[attr-defined]
    assert total_events == RUNS * EVENTS + 1

    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_copy_reporting_progress,
                              args=(source_url, destination, child))
    process.start()
    copied = 0
    while copied < 5 * BATCH:  # five batches of events are committed: kill mid-way
        assert parent.poll(120), "the copy made no progress"
        name, count = parent.recv()
        assert name != "finished", "the copy finished before it could be killed"
        copied = count if name == "logs.log_events" else 0
    assert process.pid is not None
    os.kill(process.pid, signal.SIGKILL)
    process.join()
    assert process.exitcode == -signal.SIGKILL

    with runstore.open(source_url) as source, runstore.open(destination) as target:
        partial = target.logs.count_records("log_events")  # type: ignore[attr-defined]
        assert copied <= partial < total_events  # interrupted for real, commits kept
        report = copy(source, target, batch_size=BATCH, verify=True)
        assert report.verification is not None
        assert report.verification.identical, \
            [d.describe() for d in report.verification.differences]
        # Nothing twice: the re-run wrote exactly what the killed copy had not.
        assert report.written["logs.log_events"] == total_events - partial
        assert target.logs.count_records("log_events") == total_events  # type: ignore[attr-defined]
        assert report.written["runs.runs"] == 0
        assert report.written["workflows.workflows"] == 0
        for name, count in report.read.items():
            assert target_count(target, name) == count, name
        assert_same(source, target, {k: v for k, v in ids.items() if k in {"run0", "run7",
                                                                            "definition",
                                                                            "blob"}})


def target_count(store: runstore.Store, name: str) -> int:
    repository, record_type = name.split(".")
    if repository == "artifacts":
        return sum(1 for _ in store.artifacts.iter_refs())
    return int(getattr(store, repository).count_records(record_type))
