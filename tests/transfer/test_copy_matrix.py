"""The matrix of issue 7: a dataset covering every repository is copied memory -> files
-> SQLite -> PostgreSQL -> MariaDB -> DuckDB -> memory; ``verify`` finds the first and
the last store identical, and the public API reads the same things back from both."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from itertools import pairwise
from pathlib import Path

import pytest

import runstore
from runstore.services.transfer import copy, verify
from tests.transfer.dataset import assert_same as assert_same_contents
from tests.transfer.dataset import fill

EVERY_RECORD_TYPE = {
    "artifacts.artifacts", "workflows.workflows", "runs.runs", "runs.tasks", "runs.attempts",
    "logs.log_records", "logs.log_events", "metrics.metric_aggregates",
    "metrics.metric_patterns", "results.results", "definitions.definitions",
    "conversations.conversations", "conversations.conversation_messages",
    "conversations.conversation_attachments",
}


def _with_blobs(url: str, folder: Path) -> str:
    """Server databases would share ./.runstore/artifacts: give each its own folder."""
    return f"{url}{'&' if '?' in url else '?'}artifacts=file://{folder}"


@pytest.fixture
def chain(tmp_path: Path, postgres_url: str, mariadb_url: str) -> Iterator[list[runstore.Store]]:
    urls = ["memory://", f"file://{tmp_path / 'files'}", f"sqlite:///{tmp_path / 'a.db'}",
            _with_blobs(postgres_url, tmp_path / "pg-blobs"),
            _with_blobs(mariadb_url, tmp_path / "maria-blobs"),
            f"duckdb:///{tmp_path / 'a.duckdb'}", "memory://"]
    with ExitStack() as stack:
        # The source keeps values over 1 KiB in its artifact store: the large result
        # travels as a blob, and its record keeps the ref everywhere.
        yield [stack.enter_context(runstore.open(url, inline_limit=1024) if n == 0
                                   else runstore.open(url)) for n, url in enumerate(urls)]


def test_every_repository_survives_the_whole_chain(chain: list[runstore.Store]) -> None:
    ids = fill(chain[0])
    for source, destination in pairwise(chain):
        report = copy(source, destination, batch_size=7)
        assert set(report.read) == EVERY_RECORD_TYPE
        assert report.skipped == {}
        assert report.written == report.read, f"{source.url} -> {destination.url}"
        assert all(report.read.values())
    first, last = chain[0], chain[-1]
    checked = verify(first, last)
    assert checked.identical, [d.describe() for d in checked.differences]
    assert {f"{d.repository}.{d.record_type}" for d in checked.source} == EVERY_RECORD_TYPE
    assert_same_contents(first, last, ids)
    for server in chain[3:5]:  # PostgreSQL and MariaDB, read back through their own API
        assert_same_contents(first, server, ids)
        assert verify(first, server).identical


def test_copying_again_writes_nothing_and_copies_keep_working(
        chain: list[runstore.Store]) -> None:
    ids = fill(chain[0])
    for source, destination in pairwise(chain):
        copy(source, destination, batch_size=5)
    for source, destination in pairwise(chain):
        again = copy(source, destination, batch_size=5)
        assert set(again.written.values()) == {0}, f"{source.url} -> {destination.url}"
    run_id = ids["run0"]
    for store in chain[1:]:
        # Appends continue after the copied events; claims see the copied dependencies
        # ("report" waits for "load", which is still leased) and leases.
        assert store.logs.append(run_id, {"message": "after the copy"}) == 26, store.url
        claim = store.runs.claim("new-worker", run_id=run_id)
        assert claim is not None, store.url
        assert claim.task.name == "hpc", store.url
        assert store.runs.claim("new-worker", run_id=run_id) is None, store.url
        assert store.runs.create_attempt(claim.task_id).number == 3, store.url
        assert store.workflows.store("wf-0", {"after": "copy"}).version == 4, store.url


@pytest.mark.parametrize(("change", "where"), [
    (lambda s, ids: s.logs.append(ids["run2"], {"message": "extra"}), "logs.log_events"),
    (lambda s, ids: s.logs.store_log({"run_id": ids["run1"], "workflow_id": "wf-1",
                                      "status": "failed", "started_at": "2024-01-01T00:00:00Z"}),
     "logs.log_records"),
    (lambda s, ids: s.metrics.record_execution({"workflow_id": "wf-0", "workflow_version": 1,
                                                "run_id": "x", "success": True,
                                                "duration_s": 1.0,
                                                "finished_at": "2024-03-01T09:00:00Z"}),
     "metrics.metric_aggregates"),
    (lambda s, ids: s.runs.set_run_status(ids["run0"], "cancelled"), "runs.runs"),
    (lambda s, ids: s.results.put_success("r/json", {"rows": []}), "results.results"),
    (lambda s, ids: s.definitions.put({"another": 1}), "definitions.definitions"),
    (lambda s, ids: s.artifacts.put(b"another blob"), "artifacts.artifacts"),
])
def test_verify_names_a_difference_in_each_repository(change: object, where: str,
                                                      tmp_path: Path) -> None:
    with runstore.open("memory://") as source, \
            runstore.open(f"sqlite:///{tmp_path / 'c.db'}") as destination:
        ids = fill(source)
        assert copy(source, destination, verify=True).verification.identical  # type: ignore[union-attr]
        change(destination, ids)  # type: ignore[operator]
        report = verify(source, destination)
        assert [f"{d.repository}.{d.record_type}" for d in report.differences] == [where]
