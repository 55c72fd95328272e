"""Reopening a store: durable backends keep everything, others say they do not."""

from __future__ import annotations

import runstore
from runstore.store import Store
from runstore.testing.base import StoreFixtures
from runstore.testing.fixtures import unique_id

__all__ = ["ReopenContract"]


class ReopenContract(StoreFixtures):
    def test_data_survives_reopening(self, store: Store, store_url: str) -> None:
        wid = unique_id("durable")
        stored = store.workflows.store(wid, {"keep": [1, 2, 3]}, message="first")
        durable = store.capabilities.durable
        store.close()
        with runstore.open(store_url) as again:
            if durable:
                assert again.workflows.get(wid, 1) == stored
            else:
                assert again.workflows.list(wid) == []

    def test_close_is_idempotent_and_store_is_a_context_manager(self, store_url: str) -> None:
        with runstore.open(store_url) as store:
            store.workflows.store(unique_id("wf"), {"a": 1})
        store.close()
        store.close()
