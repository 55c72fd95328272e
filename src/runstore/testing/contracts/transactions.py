"""The transaction contract: commit, rollback, savepoints, or a clear refusal."""

from __future__ import annotations

import pytest

from runstore.errors import UnsupportedOperation
from runstore.store import Store
from runstore.testing.base import StoreFixtures
from runstore.testing.fixtures import unique_id

__all__ = ["TransactionsContract"]


class Boom(Exception):
    """Raised inside a transaction to make it roll back."""


class TransactionsContract(StoreFixtures):
    def test_transaction_commits_on_normal_exit(self, store: Store, observer: Store) -> None:
        if not store.capabilities.transactions:
            with pytest.raises(UnsupportedOperation):
                store.transaction()
            return
        wid = unique_id("tx")
        with store.transaction():
            store.workflows.store(wid, {"a": 1})
            store.workflows.store(wid, {"a": 2})
            assert store.workflows.get_latest(wid).version == 2
        assert [w.version for w in observer.workflows.list(wid)] == [1, 2]

    def test_transaction_rolls_back_on_exception(self, store: Store, observer: Store) -> None:
        if not store.capabilities.transactions:
            with pytest.raises(UnsupportedOperation):
                store.transaction()
            return
        wid = unique_id("tx")
        store.workflows.store(wid, {"kept": True})
        with pytest.raises(Boom), store.transaction():
            store.workflows.store(wid, {"lost": 1})
            store.workflows.store(unique_id("tx"), {"lost": 2})
            raise Boom
        assert [w.definition for w in observer.workflows.list(wid)] == [{"kept": True}]
        # The version number given inside the rolled-back transaction is free again.
        assert store.workflows.store(wid, {"next": 1}).version == 2

    def test_nested_rollback_keeps_outer_work(self, store: Store, observer: Store) -> None:
        if not store.capabilities.transactions:
            with pytest.raises(UnsupportedOperation):
                store.transaction()
            return
        outer, inner = unique_id("outer"), unique_id("inner")
        with store.transaction():
            store.workflows.store(outer, {"a": 1})
            if not store.capabilities.savepoints:
                with pytest.raises(UnsupportedOperation):
                    store.transaction().__enter__()
                store.workflows.store(outer, {"a": 2})
            else:
                with pytest.raises(Boom), store.transaction():
                    store.workflows.store(inner, {"b": 1})
                    raise Boom
                store.workflows.store(outer, {"a": 2})
        assert [w.version for w in observer.workflows.list(outer)] == [1, 2]
        assert observer.workflows.list(inner) == []

    def test_nested_commit_joins_outer(self, store: Store, observer: Store) -> None:
        wid = unique_id("tx")
        if not store.capabilities.savepoints:
            with pytest.raises(UnsupportedOperation):
                with store.transaction(), store.transaction():
                    store.workflows.store(wid, {"a": 1})
            assert observer.workflows.list(wid) == []
            return
        with pytest.raises(Boom), store.transaction():
            with store.transaction():
                store.workflows.store(wid, {"a": 1})
            raise Boom
        assert observer.workflows.list(wid) == []
