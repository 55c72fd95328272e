"""The named-lock contract: threads and (where shared) processes are excluded."""

from __future__ import annotations

import threading

import pytest

from runstore.errors import LockTimeout, RunstoreError
from runstore.store import Store
from runstore.testing.base import StoreFixtures
from runstore.testing.fixtures import run_in_processes, try_lock, unique_id

__all__ = ["LocksContract"]


class LocksContract(StoreFixtures):
    def test_lock_excludes_another_thread(self, store: Store) -> None:
        name = unique_id("lock")
        outcome: list[str] = []

        def contender() -> None:
            try:
                with store.lock(name, timeout=0.05):
                    outcome.append("acquired")
            except LockTimeout:
                outcome.append("timeout")

        with store.lock(name):
            thread = threading.Thread(target=contender)
            thread.start()
            thread.join()
        assert outcome == ["timeout"]
        thread = threading.Thread(target=contender)
        thread.start()
        thread.join()
        assert outcome == ["timeout", "acquired"]

    def test_lock_excludes_another_process(self, store: Store, store_url: str) -> None:
        name = unique_id("lock")
        if not store.capabilities.multi_process:
            # Not shared with other processes: nothing to exclude, but the lock works.
            with store.lock(name), pytest.raises(LockTimeout):
                with store.lock(name, timeout=0):
                    pass
            return
        with store.lock(name):
            assert run_in_processes(try_lock, [(store_url, name, 0.2)]) == ["timeout"]
        assert run_in_processes(try_lock, [(store_url, name, 5.0)]) == ["acquired"]

    def test_lock_is_released_when_the_block_raises(self, store: Store) -> None:
        name = unique_id("lock")
        with pytest.raises(KeyError), store.lock(name):
            raise KeyError(name)
        with store.lock(name, timeout=0):
            pass

    def test_lock_timeout_is_a_runstore_error(self, store: Store) -> None:
        name = unique_id("lock")
        with store.lock(name), pytest.raises(RunstoreError) as caught:
            with store.lock(name, timeout=0):
                pass
        assert isinstance(caught.value, LockTimeout)
        assert caught.value.name == name

    def test_different_names_do_not_block(self, store: Store) -> None:
        with store.lock(unique_id("lock")), store.lock(unique_id("lock"), timeout=0):
            pass
