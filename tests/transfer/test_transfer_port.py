"""The transfer port of runs, logs, metrics, results and definitions on the embedded
backends: bounded batches, re-runnable imports, and clear errors for bad input."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import runstore
from runstore.errors import InvalidInput, UnsupportedOperation
from runstore.models.artifacts import ArtifactRef
from runstore.models.runs import Task
from runstore.models.transfer import MetricAggregate, RunLogEvent, StoredDefinition
from runstore.services.artifact_transfer import ArtifactTransfer

MB = 1024 * 1024


@pytest.fixture(params=["memory", "file", "sqlite", "duckdb"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return {"memory": "memory://", "file": f"file://{tmp_path / 'f'}",
            "sqlite": f"sqlite:///{tmp_path / 'a.db'}",
            "duckdb": f"duckdb:///{tmp_path / 'a.duckdb'}"}[request.param]


def _port(store: runstore.Store, repository: str) -> Any:
    return getattr(store, repository)


def test_result_batches_stop_at_the_byte_budget(url: str) -> None:
    # Values kept inline (the limit is raised to 8 MiB): five of 6 MiB never travel in
    # one batch, whatever batch size is asked for.
    with runstore.open(url, inline_limit=8 * MB) as store:
        for n in range(5):
            store.results.put_success(f"big-{n}", bytes([n]) * (6 * MB), serializer="bytes")
        store.results.put_success("small", 1)
        batches = list(_port(store, "results").export_records("results", batch_size=1000))
        assert sorted(r.key for batch in batches for r in batch) == \
            ["big-0", "big-1", "big-2", "big-3", "big-4", "small"]
        assert len(batches) == 2
        for batch in batches:  # a batch ends as soon as it holds 16 MiB of values
            sizes = [len(r.value) for r in batch]
            assert sum(sizes[:-1]) < 16 * MB


def test_event_imports_skip_what_is_there_and_continue_the_sequence(url: str) -> None:
    events = [RunLogEvent(run_id="r1", seq=n, ts=datetime(2024, 1, 1, tzinfo=UTC),
                          message=f"e{n}", level="error" if n == 7 else "info")
              for n in range(1, 11)]
    with runstore.open(url) as store:
        logs = _port(store, "logs")
        assert logs.import_records("log_events", events[:5]) == 5
        assert logs.import_records("log_events", events[3:]) == 5
        assert logs.import_records("log_events", events) == 0
        assert [e.seq for e in store.logs.get_log("r1").events] == list(range(1, 11))
        assert store.logs.append("r1", {"message": "next"}) == 11
        assert logs.count_records("log_events") == 11
        store.logs.store_log({"run_id": "r1", "workflow_id": "wf", "status": "failed",
                              "started_at": "2024-01-01T00:00:00Z"})
        assert [r.run_id for r in store.logs.query({"level": "error"}).items] == ["r1"]
        assert store.logs.query({"level": "critical"}).items == []


def test_children_without_their_run_are_refused(url: str) -> None:
    task = Task(id="t-1", run_id="no-such-run", name="a", kind="local",
                created_at=datetime(2024, 1, 1, tzinfo=UTC))
    with runstore.open(url) as store:
        runs = _port(store, "runs")
        with pytest.raises(InvalidInput, match="no-such-run"):
            runs.import_records("tasks", [task])
        assert runs.count_records("tasks") == 0


def test_damaged_definitions_and_aggregates_are_refused(url: str) -> None:
    with runstore.open(url) as store:
        with pytest.raises(InvalidInput, match="hashes to"):
            _port(store, "definitions").import_records("definitions", [
                StoredDefinition(content_hash="0" * 64, definition={"a": 1})])
        with pytest.raises(InvalidInput, match="metric aggregate 'wf'"):
            _port(store, "metrics").import_records("metric_aggregates", [
                MetricAggregate(workflow_id="wf", workflow_version=1, bucket="all", count=1,
                                data={"count": "many"})])
        with pytest.raises(InvalidInput, match="unknown record type 'logs'"):
            list(_port(store, "logs").export_records("logs"))


def test_importing_artifact_refs_needs_a_store_to_read_the_bytes_from(url: str) -> None:
    with runstore.open(url) as store, runstore.open("memory://") as other:
        ref = other.artifacts.put(b"bytes", media_type="text/plain")
        with pytest.raises(UnsupportedOperation, match="no bytes"):
            ArtifactTransfer(store.artifacts).import_records("artifacts", [ref])
        transfer = ArtifactTransfer(store.artifacts, source=other.artifacts)
        assert transfer.import_records("artifacts", [ref]) == 1
        assert transfer.import_records("artifacts", [ref]) == 0
        assert store.artifacts.stat(ref.sha256) == ref
        missing = ArtifactRef(sha256="1" * 64, size=1)
        with pytest.raises(runstore.NotFound):
            transfer.import_records("artifacts", [missing])
