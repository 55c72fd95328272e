"""The results database contract: serializers, replacement, failures, large values."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC

import pytest

import runstore
from runstore.errors import InvalidInput, NotFound, UnsupportedOperation
from runstore.models.results import ResultStatus
from runstore.store import Store
from runstore.testing.base import StoreFixtures
from runstore.testing.fixtures import unique_id

__all__ = ["ResultsContract"]

MIB = 1024 * 1024


class _Point:
    """A picklable object that JSON cannot hold."""

    def __init__(self, x: int) -> None:
        self.x = x

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Point) and other.x == self.x

    __hash__ = None  # type: ignore[assignment]


class ResultsContract(StoreFixtures):
    @pytest.fixture
    def open_with(self, store_url: str) -> Iterator[Callable[..., Store]]:
        """Open the same URL with options (``allow_pickle``, ``inline_limit``...)."""
        opened: list[Store] = []

        def factory(**options: object) -> Store:
            opened.append(runstore.open(store_url, **options))
            return opened[-1]

        yield factory
        for handle in opened:
            handle.close()

    def test_json_round_trip(self, store: Store) -> None:
        key = unique_id("res")
        value = {"rows": [1, 2.5, None, True, "é"], "big": 2**70, "nested": {"a": []}}
        put = store.results.put_success(key, value, metadata={"task": "t1"})
        assert (put.status, put.serializer, put.key) == (ResultStatus.SUCCESS, "json", key)
        record = store.results.get_record(key)
        assert record is not None
        assert record.value == value
        assert record.metadata == {"task": "t1"}
        assert record == put
        assert record.ok
        assert record.error is None
        assert record.artifact is None
        assert record.size > 0
        assert record.content_hash is not None
        assert record.created_at.utcoffset() == UTC.utcoffset(None)

    def test_bytes_round_trip(self, store: Store) -> None:
        key = unique_id("res")
        data = bytes(range(256)) * 4
        store.results.put_success(key, data, serializer="bytes")
        record = store.results.get_record(key)
        assert record is not None
        assert (record.value, record.serializer, record.size) == (data, "bytes", len(data))

    def test_arrow_round_trip(self, store: Store) -> None:
        pa = pytest.importorskip("pyarrow")
        table = pa.table({"id": [1, 2, 3], "name": ["a", None, "ç"], "x": [0.5, 1.5, None]})
        key = unique_id("res")
        store.results.put_success(key, table, serializer="arrow")
        record = store.results.get_record(key)
        assert record is not None
        assert record.value.equals(table)

    def test_pickle_is_refused_by_default(self, store: Store) -> None:
        key = unique_id("res")
        with pytest.raises(InvalidInput, match="allow_pickle"):
            store.results.put_success(key, _Point(1), serializer="pickle")
        assert not store.results.has(key)

    def test_pickle_round_trip_when_allowed(self, store: Store,
                                            open_with: Callable[..., Store]) -> None:
        trusting = open_with(allow_pickle=True)
        key = unique_id("res")
        trusting.results.put_success(key, {"p": _Point(3)}, serializer="pickle")
        record = trusting.results.get_record(key)
        assert record is not None
        assert record.value == {"p": _Point(3)}
        # A store opened without allow_pickle never unpickles it.
        default = open_with()
        seen = default.results.get_record(key)
        if seen is None:  # the second store does not share the first one's data
            assert not default.capabilities.durable
        else:
            with pytest.raises(InvalidInput, match="allow_pickle"):
                _ = seen.value

    def test_a_later_put_replaces_the_record(self, store: Store) -> None:
        key = unique_id("res")
        store.results.put_success(key, {"v": 1})
        store.results.put_success(key, b"two", serializer="bytes", metadata={"n": 2})
        record = store.results.get_record(key)
        assert record is not None
        assert (record.value, record.metadata) == (b"two", {"n": 2})
        store.results.put_failure(key, "gave up")
        failed = store.results.get_record(key)
        assert failed is not None
        assert (failed.status, failed.value) == (ResultStatus.FAILURE, None)
        assert [r.key for r in store.results.query(prefix=key).items] == [key]

    def test_failure_keeps_type_message_and_traceback(self, store: Store) -> None:
        key = unique_id("res")

        def explode() -> None:
            raise KeyError("missing column")

        try:
            explode()
        except KeyError as exc:
            store.results.put_failure(key, exc, metadata={"attempt": 2})
        record = store.results.get_record(key)
        assert record is not None
        assert record.error is not None
        assert record.status is ResultStatus.FAILURE
        assert not record.ok
        assert (record.error.type, record.error.message) == ("KeyError", "'missing column'")
        assert record.error.traceback is not None
        assert "explode" in record.error.traceback
        assert "KeyError: 'missing column'" in record.error.traceback
        assert record.metadata == {"attempt": 2}

    def test_failure_from_a_message(self, store: Store) -> None:
        key = unique_id("res")
        store.results.put_failure(key, "timed out after 30s")
        record = store.results.get_record(key)
        assert record is not None
        assert record.error is not None
        assert record.error.message == "timed out after 30s"
        assert record.error.traceback is None

    def test_miss_is_none_and_has_delete_clear(self, store: Store) -> None:
        key, other = unique_id("res"), unique_id("res")
        assert store.results.get_record(key) is None
        assert not store.results.has(key)
        store.results.put_success(key, 1)
        store.results.put_failure(other, "no")
        assert store.results.has(key)
        assert store.results.has(other)
        store.results.delete(key)
        assert store.results.get_record(key) is None
        with pytest.raises(NotFound):
            store.results.delete(key)
        store.results.clear()
        assert not store.results.has(other)
        assert store.results.query().items == []

    def test_large_values_go_to_artifacts(self, store: Store,
                                          open_with: Callable[..., Store]) -> None:
        key = unique_id("res")
        value = bytes(MIB + 1)
        put = store.results.put_success(key, value, serializer="bytes")
        assert put.artifact is not None
        assert put.artifact.sha256 == put.content_hash
        assert store.artifacts.exists(put.artifact.sha256)
        record = store.results.get_record(key)
        assert record is not None
        assert record.artifact == put.artifact
        assert record.value == value
        small = store.results.put_success(unique_id("res"), bytes(MIB), serializer="bytes")
        assert small.artifact is None

    def test_inline_limit_is_configurable(self, open_with: Callable[..., Store]) -> None:
        tight = open_with(inline_limit=100)
        key = unique_id("res")
        value = {"text": "x" * 500}
        put = tight.results.put_success(key, value)
        assert put.artifact is not None
        assert put.artifact.media_type == "application/json"
        record = tight.results.get_record(key)
        assert record is not None
        assert record.value == value
        with pytest.raises(InvalidInput):
            open_with(inline_limit=-1)

    @pytest.mark.parametrize("key", ["", "x" * 513, "nul\x00", None, 5])
    def test_bad_keys_are_invalid_input(self, store: Store, key: object) -> None:
        with pytest.raises(InvalidInput):
            store.results.put_success(key, 1)  # type: ignore[arg-type]
        with pytest.raises(InvalidInput):
            store.results.get_record(key)  # type: ignore[arg-type]

    def test_keys_are_exact_text(self, store: Store) -> None:
        base = unique_id("Res")
        keys = [base, base.lower(), base + " ", f"{base}/é/日本", "k" + "y" * 511]
        for n, key in enumerate(keys):
            store.results.put_success(key, n)
        for n, key in enumerate(keys):
            record = store.results.get_record(key)
            assert record is not None
            assert (record.key, record.value) == (key, n)

    @pytest.mark.parametrize(("value", "serializer"), [
        (object(), "json"), ({"nan": float("nan")}, "json"), ({1: "int key"}, "json"),
        ("text", "bytes"), ([1], "arrow"), (1, "no-such-serializer"),
    ])
    def test_values_a_serializer_cannot_take_are_invalid_input(
            self, store: Store, value: object, serializer: str) -> None:
        key = unique_id("res")
        with pytest.raises(InvalidInput):
            store.results.put_success(key, value, serializer=serializer)
        assert not store.results.has(key)

    def test_bad_metadata_is_invalid_input(self, store: Store) -> None:
        key = unique_id("res")
        with pytest.raises(InvalidInput):
            store.results.put_success(key, 1, metadata={"x": float("inf")})
        with pytest.raises(InvalidInput):
            store.results.put_failure(key, "e", metadata=["not", "a", "dict"])  # type: ignore[arg-type]
        assert not store.results.has(key)

    def test_query_sorts_filters_and_pages(self, store: Store) -> None:
        prefix = unique_id("q") + "/"
        keys = [f"{prefix}{name}" for name in ["b", "a", "C", "a_b", "a%"]]
        for key in keys:
            store.results.put_success(key, key)
        store.results.put_success(prefix[:-1] + "x", 0)
        first = store.results.query(prefix=prefix, limit=3)
        assert [r.key for r in first.items] == sorted(keys)[:3]
        assert first.next_cursor is not None
        second = store.results.query(prefix=prefix, limit=3, cursor=first.next_cursor)
        assert [r.key for r in second.items] == sorted(keys)[3:]
        assert second.next_cursor is None
        assert [r.value for r in second.items] == sorted(keys)[3:]
        only = store.results.query(prefix=f"{prefix}a_")
        assert [r.key for r in only.items] == [f"{prefix}a_b"]
        with pytest.raises(InvalidInput):
            store.results.query(limit=0)

    def test_returned_records_do_not_change_what_is_stored(self, store: Store) -> None:
        key = unique_id("res")
        put = store.results.put_success(key, {"a": [1]}, metadata={"m": [1]})
        put.metadata["m"].append(2)  # type: ignore[union-attr]
        put.value["a"].append(2)
        record = store.results.get_record(key)
        assert record is not None
        assert (record.value, record.metadata) == ({"a": [1]}, {"m": [1]})

    def test_a_rolled_back_put_is_not_stored(self, store: Store) -> None:
        key = unique_id("res")
        if not store.capabilities.transactions:
            with pytest.raises(UnsupportedOperation):
                store.transaction()
            return
        with pytest.raises(RuntimeError), store.transaction():
            store.results.put_success(key, 1)
            raise RuntimeError("roll back")
        assert store.results.get_record(key) is None

    def test_reopened_store_sees_durable_results(self, store: Store,
                                                 open_with: Callable[..., Store]) -> None:
        key = unique_id("res")
        store.results.put_success(key, {"kept": True})
        other = open_with()
        if store.capabilities.durable:
            record = other.results.get_record(key)
            assert record is not None
            assert record.value == {"kept": True}
        else:
            assert other.results.get_record(key) is None

    def test_referenced_artifacts_are_the_blobs_of_stored_results(
            self, open_with: Callable[..., Store]) -> None:
        tight = open_with(inline_limit=100)
        large = {"text": "x" * 500, "id": unique_id("value")}
        keys = [unique_id("res") for _ in range(4)]
        big = tight.results.put_success(keys[0], large)
        tight.results.put_success(keys[1], large)  # the same blob, referred to twice
        small = tight.results.put_success(keys[2], {"n": 1})
        tight.results.put_failure(keys[3], "boom")
        assert big.artifact is not None
        assert small.artifact is None
        refs = list(tight.results.referenced_artifacts())
        assert len(refs) == len(set(refs))
        assert big.artifact.sha256 in refs
        assert small.content_hash not in refs
        tight.results.delete(keys[0])
        assert big.artifact.sha256 in set(tight.results.referenced_artifacts())
        tight.results.delete(keys[1])
        assert big.artifact.sha256 not in set(tight.results.referenced_artifacts())
        assert tight.artifacts.exists(big.artifact.sha256)  # blobs outlive their records
