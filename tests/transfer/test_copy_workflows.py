"""Copy and verify of workflows between backends (the full matrix lives in test_matrix)."""

from __future__ import annotations

from pathlib import Path

import pytest

import runstore
from runstore.errors import InvalidInput
from runstore.services.transfer import copy, verify


def _fill(store: runstore.Store) -> None:
    for n in range(30):
        store.workflows.store(f"wf-{n % 4}", {"n": n, "nested": {"list": [n, None, 1.5]}},
                              message=f"m{n}")
    store.workflows.delete("wf-1", 2)


@pytest.mark.parametrize("target", ["file", "sqlite", "duckdb"])
def test_copy_preserves_versions_lineage_and_times(target: str, tmp_path: Path) -> None:
    url = {"file": f"file://{tmp_path / 'f'}", "sqlite": f"sqlite:///{tmp_path / 'a.db'}",
           "duckdb": f"duckdb:///{tmp_path / 'a.duckdb'}"}[target]
    with runstore.open("memory://") as source, runstore.open(url) as destination:
        _fill(source)
        report = copy(source, destination, verify=True, batch_size=7)
        assert report.written["workflows.workflows"] == 29
        assert report.verification is not None
        assert report.verification.identical
        for wid in ("wf-0", "wf-1", "wf-2", "wf-3"):
            assert destination.workflows.list(wid) == source.workflows.list(wid)
        # Re-running writes nothing; new versions continue after the copied ones.
        assert copy(source, destination).written["workflows.workflows"] == 0
        assert destination.workflows.store("wf-0", {"new": True}).version == 9


def test_verify_names_the_difference(tmp_path: Path) -> None:
    with runstore.open("memory://") as a, runstore.open(f"sqlite:///{tmp_path / 'b.db'}") as b:
        _fill(a)
        copy(a, b)
        b.workflows.delete("wf-0", 1)
        report = verify(a, b)
        assert not report.identical
        assert [d.describe() for d in report.differences] == [
            "workflows.workflows: 29 records in the source, 28 in the destination"]


def test_copy_rejects_unknown_repositories_and_bad_batch_sizes() -> None:
    with runstore.open("memory://") as a, runstore.open("memory://") as b:
        with pytest.raises(InvalidInput, match="bogus"):
            copy(a, b, only=["bogus"])
        with pytest.raises(InvalidInput):
            copy(a, b, batch_size=0)
