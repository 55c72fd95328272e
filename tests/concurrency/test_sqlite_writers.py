"""Many writer processes on one SQLite file: no "database is locked", no lost write."""

from __future__ import annotations

from pathlib import Path

import runstore
from runstore.testing.fixtures import run_in_processes, store_versions


def test_six_processes_writing_one_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    runstore.open(url).close()
    calls = [(url, f"wf-{n % 2}", f"writer-{n}", 25) for n in range(6)]
    results = run_in_processes(store_versions, calls)
    with runstore.open(url) as store:
        for wid in ("wf-0", "wf-1"):
            versions = [w.version for w in store.workflows.list(wid)]
            assert versions == list(range(1, 76))
    assert sorted(v for r in results[0::2] for v in r) == list(range(1, 76))
