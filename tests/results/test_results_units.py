"""Results outside the conformance suite: JSON property, serializers, materialization."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import runstore
from runstore import MaterializationStore
from runstore.errors import InvalidInput, NotFound
from runstore.models.results import ResultError, ResultStatus
from runstore.services import serializers
from runstore.store import Store

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=30,
)


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path = tmp_path_factory.mktemp("property") / "results.db"
    with runstore.open(f"sqlite:///{path}") as store:
        yield store


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=JSON)
def test_any_json_value_round_trips_exactly(sqlite_store: Store, value: Any) -> None:
    sqlite_store.results.put_success("property", value)
    record = sqlite_store.results.get_record("property")
    assert record is not None
    assert record.value == value
    assert _types(record.value) == _types(value)


def _types(value: Any) -> Any:
    """The value's shape with every leaf's type, so 1 and 1.0 (or True) differ."""
    if isinstance(value, dict):
        return {key: _types(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_types(item) for item in value]
    return type(value).__name__, repr(value)


def test_third_party_serializers_register_by_name(tmp_path: Path) -> None:
    class Upper:
        name = "upper-text"
        media_type = "text/plain"
        executes_code = False

        def dumps(self, value: Any) -> bytes:
            return str(value).upper().encode()

        def loads(self, data: bytes) -> Any:
            return data.decode()

    serializers.register_serializer(Upper())
    assert "upper-text" in serializers.known_serializers()
    with runstore.open("memory://") as store:
        store.results.put_success("k", "shout", serializer="upper-text")
        record = store.results.get_record("k")
        assert record is not None
        assert record.value == "SHOUT"
    with pytest.raises(InvalidInput):
        serializers.register_serializer(type("Json", (Upper,), {"name": "json"})())


def test_allow_pickle_cannot_come_from_a_url() -> None:
    with pytest.raises(InvalidInput):
        runstore.open("memory://", allow_pickle="yes")
    with runstore.open("memory://?allow_pickle=true") as store, \
            pytest.raises(InvalidInput, match="allow_pickle"):
        store.results.put_success("k", 1, serializer="pickle")


def test_config_artifacts_location(tmp_path: Path) -> None:
    config = tmp_path / "runstore.yaml"
    config.write_text("default: sqlite:///./data/rs.db\nartifacts: file://./blobs\n"
                      "options:\n  sqlite: {inline_limit: 10}\n")
    with runstore.open_config(config) as store:
        put = store.results.put_success("big", "x" * 100)
        assert put.artifact is not None
        assert store.artifacts.location == f"file://{tmp_path / 'blobs'}"
    assert (tmp_path / "blobs").is_dir()


class TestMaterializationStore:
    @pytest.fixture
    def results(self) -> Iterator[Store]:
        with runstore.open("memory://") as store:
            yield store

    def test_in_process_only(self) -> None:
        cache = MaterializationStore()
        frame = object()  # any object: nothing is serialized without a results database
        cache.put_success("a", frame)
        assert cache.get("a") is frame
        cache.put_failure("b", ValueError("bad"))
        assert cache.failures()["b"].type == "ValueError"
        with pytest.raises(NotFound, match="failed"):
            cache.get("b")
        with pytest.raises(NotFound):
            cache.get("c")
        assert cache.keys() == ["a", "b"]
        assert "a" in cache
        assert len(cache) == 2

    def test_write_through_writes_synchronously(self, results: Store) -> None:
        cache = MaterializationStore(results.results)
        cache.put_success("a", {"x": 1})
        cache.put_failure("b", "boom")
        stored = results.results.get_record("a")
        assert stored is not None
        assert stored.value == {"x": 1}
        failed = results.results.get_record("b")
        assert failed is not None
        assert failed.status is ResultStatus.FAILURE

    def test_without_write_through_nothing_is_written(self, results: Store) -> None:
        cache = MaterializationStore(results.results, write_through=False)
        cache.put_success("a", {"x": 1})
        assert not results.results.has("a")
        assert cache.get("a") == {"x": 1}

    def test_read_through_finds_earlier_results(self, results: Store) -> None:
        results.results.put_success("old", [1, 2])
        results.results.put_failure("broken", ResultError(type="E", message="m"))
        cache = MaterializationStore(results.results)
        entry = cache.lookup("old")
        assert entry is not None
        assert entry.source == "results"
        assert entry.value == [1, 2]
        assert cache.keys() == ["old"]
        broken = cache.lookup("broken")
        assert broken is not None
        assert not broken.ok
        assert cache.lookup("never") is None

    def test_without_read_through_the_database_is_not_read(self, results: Store) -> None:
        results.results.put_success("old", [1, 2])
        cache = MaterializationStore(results.results, read_through=False)
        assert not cache.has("old")
        with pytest.raises(NotFound):
            cache.get("old")

    def test_an_encoding_error_keeps_nothing(self, results: Store) -> None:
        cache = MaterializationStore(results.results)
        with pytest.raises(InvalidInput):
            cache.put_success("a", object())
        assert not cache.has("a")
