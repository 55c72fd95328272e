"""runstore.gc: only blobs that no result and no attachment refers to are removed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

import runstore
from runstore.errors import CorruptRecord, InvalidInput
from runstore.models.common import utcnow
from runstore.testing.blobs import age_artifact
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

    preview = runstore.gc(store, grace="0s", dry_run=True)
    assert {ref.sha256 for ref in preview.removed} == unreferenced
    assert (preview.scanned, preview.kept) == (4, 2)
    assert all(store.artifacts.exists(sha) for sha in referenced | unreferenced)

    report = runstore.gc(store, grace="0s")
    assert {ref.sha256 for ref in report.removed} == unreferenced
    assert report.freed_bytes == gone.artifact.size + loose.size
    assert {ref.sha256 for ref in store.artifacts.iter_refs()} == referenced
    record = store.results.get_record("big")
    assert record is not None
    assert record.value == BIG
    assert runstore.gc(store, grace="0s").removed == []


def test_after_prune_gc_removes_the_attachments_of_pruned_runs(store: runstore.Store) -> None:
    old = make_run(store, "etl", n=0)
    new = make_run(store, "etl", n=1)
    runstore.prune(store, {"keep_last": 1})
    report = runstore.gc(store, grace="0s")
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
            runstore.gc(store, grace="0s")
        assert store.artifacts.exists(loose.sha256)


def test_gc_keeps_blobs_stored_within_the_grace_period(store: runstore.Store) -> None:
    fresh = store.artifacts.put(b"a writer is about to store the record that refers to this")
    stale = store.artifacts.put(b"nothing has referred to this for hours")
    age_artifact(store, stale.sha256, utcnow() - timedelta(hours=2))
    report = runstore.gc(store)  # the default grace period: one hour
    assert [ref.sha256 for ref in report.removed] == [stale.sha256]
    assert (report.scanned, report.kept, report.recent) == (2, 0, 1)
    assert store.artifacts.exists(fresh.sha256)
    assert runstore.gc(store, grace="3h", now=utcnow() + timedelta(hours=2)).removed == []
    later = runstore.gc(store, grace="1h", now=utcnow() + timedelta(hours=2))
    assert [ref.sha256 for ref in later.removed] == [fresh.sha256]


def test_storing_the_same_bytes_again_keeps_a_blob_from_gc(store: runstore.Store) -> None:
    data = b"stored long ago, stored again by a writer whose record is on its way"
    ref = store.artifacts.put(data)
    age_artifact(store, ref.sha256, utcnow() - timedelta(days=3))
    assert runstore.gc(store, dry_run=True).removed == [ref]
    assert store.artifacts.put(data) == ref  # the same bytes: stored once, renewed
    report = runstore.gc(store)
    assert (report.removed, report.recent) == ([], 1)
    assert store.artifacts.get(ref.sha256) == data


def test_a_bad_grace_period_is_invalid_input(store: runstore.Store) -> None:
    with pytest.raises(InvalidInput, match="invalid duration"):
        runstore.gc(store, grace="soon")
