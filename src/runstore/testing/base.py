"""The fixtures every contract uses."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

import runstore
from runstore.store import Store

__all__ = ["StoreFixtures"]


class StoreFixtures:
    """Override ``store_url`` to return the URL of a fresh, empty store."""

    @pytest.fixture
    def store_url(self) -> str:
        raise NotImplementedError("override `store_url` to return a URL for a fresh, empty store")

    @pytest.fixture
    def store(self, store_url: str) -> Iterator[Store]:
        with runstore.open(store_url) as store:
            yield store

    @pytest.fixture
    def open_store(self, store_url: str) -> Iterator[Callable[[], Store]]:
        """Open more stores on the same URL (closed at the end of the test)."""
        opened: list[Store] = []

        def factory() -> Store:
            opened.append(runstore.open(store_url))
            return opened[-1]

        yield factory
        for store in opened:
            store.close()

    @pytest.fixture
    def observer(self, store: Store, open_store: Callable[[], Store]) -> Store:
        """A second view of the data: another store when the backend is shared between
        processes, else the same store (a memory store is visible only to itself)."""
        return open_store() if store.capabilities.multi_process else store
