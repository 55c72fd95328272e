"""A lone query on PostgreSQL runs in autocommit; the pooled connection goes back to the
pool transactional, so the writes that reuse it still commit or roll back as a whole."""

from __future__ import annotations

from pathlib import Path

import pytest

import runstore
from runstore.backends.sql.backend import SqlBackend


def test_a_lone_query_leaves_its_connection_transactional(postgres_url: str,
                                                          tmp_path: Path) -> None:
    url = f"{postgres_url}?artifacts=file://{tmp_path / 'artifacts'}"
    with runstore.open(url) as store:
        backend = store.backend_for("logs")
        assert isinstance(backend, SqlBackend)
        store.logs.append("run-1", {"message": "kept"})
        assert store.logs.get_record("run-1") is None  # one query: the autocommit path
        raw = backend.engine.raw_connection()
        try:
            assert raw.driver_connection.autocommit is False  # type: ignore[union-attr]
        finally:
            raw.close()
        with pytest.raises(RuntimeError):
            _append_then_fail(store)
        assert [e.message for e in store.logs.iter_events("run-1")] == ["kept"]
        assert list(store.logs.iter_events("run-2")) == []


def _append_then_fail(store: runstore.Store) -> None:
    with store.transaction():
        store.logs.append("run-1", {"message": "rolled back"})
        store.logs.append("run-2", {"message": "rolled back"})
        raise RuntimeError("the caller fails")
