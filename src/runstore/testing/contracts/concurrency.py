"""Concurrent writers never get the same version number."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from runstore.store import Store
from runstore.testing.base import StoreFixtures
from runstore.testing.fixtures import run_in_processes, store_versions, unique_id

__all__ = ["ConcurrencyContract"]


class ConcurrencyContract(StoreFixtures):
    def test_threads_storing_one_workflow_get_distinct_versions(self, store: Store) -> None:
        wid = unique_id("race")
        with ThreadPoolExecutor(max_workers=4) as pool:
            futures = [
                pool.submit(lambda tag: [store.workflows.store(wid, {"t": tag, "n": n}).version
                                         for n in range(10)], tag)
                for tag in "abcd"
            ]
            versions = [v for future in futures for v in future.result()]
        assert sorted(versions) == list(range(1, 41))

    def test_processes_storing_one_workflow_get_distinct_versions(
        self, store: Store, store_url: str
    ) -> None:
        wid = unique_id("race")
        if not store.capabilities.multi_process:
            assert store.workflows.list(wid) == []
            return
        results = run_in_processes(store_versions, [(store_url, wid, tag, 15) for tag in "ab"])
        versions = [v for result in results for v in result]
        assert sorted(versions) == list(range(1, 31))
        stored = store.workflows.list(wid)
        assert [w.version for w in stored] == list(range(1, 31))
        assert all(r == sorted(r) for r in results)
