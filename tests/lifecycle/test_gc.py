"""runstore.gc: only blobs that no result and no attachment refers to are removed."""

from __future__ import annotations

from pathlib import Path

import pytest

import runstore
from runstore.errors import CorruptRecord
from tests.lifecycle.conftest import make_run

BIG = {"text": "x" * 2_000_000}  # above the default inline limit: kept as a blob


def test_gc_removes_only_unreferenced_blobs(store: runstore.Store) -> None:
    big = store.results.put_success("big", BIG)
    gone = store.results.put_success("gone", {**BIG, "other": True})
    small = store.results.put_success("small", {"n": 1})
    made = make_run(store, "etl")
    loose = store.artifacts.put(b"put directly, referred to by nothing")
    assert big.artifact is not None
    assert gone.artifact is not None
    assert small.artifact is None
    store.results.delete("gone")
    referenced = {big.artifact.sha256, made.attachment_sha256}
    unreferenced = {gone.artifact.sha256, loose.sha256}

    preview = runstore.gc(store, dry_run=True)
    assert {ref.sha256 for ref in preview.removed} == unreferenced
    assert (preview.scanned, preview.kept) == (4, 2)
    assert all(store.artifacts.exists(sha) for sha in referenced | unreferenced)

    report = runstore.gc(store)
    assert {ref.sha256 for ref in report.removed} == unreferenced
    assert report.freed_bytes == gone.artifact.size + loose.size
    assert {ref.sha256 for ref in store.artifacts.iter_refs()} == referenced
    record = store.results.get_record("big")
    assert record is not None
    assert record.value == BIG
    assert runstore.gc(store).removed == []


def test_after_prune_gc_removes_the_attachments_of_pruned_runs(store: runstore.Store) -> None:
    old = make_run(store, "etl", n=0)
    new = make_run(store, "etl", n=1)
    runstore.prune(store, {"keep_last": 1})
    report = runstore.gc(store)
    assert [ref.sha256 for ref in report.removed] == [old.attachment_sha256]
    assert store.artifacts.exists(new.attachment_sha256)


def test_a_damaged_record_stops_gc_before_anything_is_removed(tmp_path: Path) -> None:
    root = tmp_path / "files"
    with runstore.open(f"file://{root}") as store:
        store.results.put_success("big", BIG)
        loose = store.artifacts.put(b"loose")
        [path] = (root / "results").glob("??/*.json")
        path.write_text("{ torn")
        with pytest.raises(CorruptRecord, match="runstore doctor"):
            runstore.gc(store)
        assert store.artifacts.exists(loose.sha256)
