"""The artifact store contract: content-addressed blobs, streamed, deduplicated, verified."""

from __future__ import annotations

import hashlib
import io
import os
import threading
from datetime import UTC, datetime, timedelta

import pytest

from runstore.errors import CorruptRecord, InvalidInput, NotFound, RunstoreError
from runstore.store import Store
from runstore.testing.base import StoreFixtures
from runstore.testing.blobs import age_artifact, damage_artifact, measure_streaming

__all__ = ["ArtifactsContract"]

BAD_HASHES = ["", "../../etc/passwd", "A" * 64, "g" * 64, "a" * 63, "a" * 65, "ab/cd", None, 7]
STREAMED_SIZE = 200 * 1024 * 1024
RSS_LIMIT_MB = 100


def _unique_bytes(size: int = 1000) -> bytes:
    return os.urandom(16) + b"x" * (size - 16)


class ArtifactsContract(StoreFixtures):
    def test_put_returns_sha256_size_and_media_type(self, store: Store) -> None:
        data = _unique_bytes()
        ref = store.artifacts.put(data, media_type="text/plain")
        assert ref.sha256 == hashlib.sha256(data).hexdigest()
        assert (ref.size, ref.media_type) == (len(data), "text/plain")
        assert store.artifacts.get(ref.sha256) == data
        assert store.artifacts.exists(ref.sha256)
        assert store.artifacts.stat(ref.sha256) == ref

    def test_put_a_binary_file_streams_it(self, store: Store) -> None:
        data = _unique_bytes(3 * 1024 * 1024 + 17)
        ref = store.artifacts.put(io.BytesIO(data))
        assert ref.sha256 == hashlib.sha256(data).hexdigest()
        assert ref.size == len(data)
        assert ref.media_type is None
        with store.artifacts.open(ref.sha256) as stream:
            chunks = []
            while chunk := stream.read(100_000):
                chunks.append(chunk)
        assert b"".join(chunks) == data

    def test_same_bytes_are_stored_once(self, store: Store) -> None:
        data = _unique_bytes()
        first = store.artifacts.put(data, media_type="application/json")
        second = store.artifacts.put(io.BytesIO(data))
        third = store.artifacts.put(data, media_type="text/plain")
        assert first == second == third
        listed = [r for r in store.artifacts.iter_refs() if r.sha256 == first.sha256]
        assert listed == [first]

    def test_stored_at_is_renewed_by_storing_the_same_bytes(self, store: Store) -> None:
        slack = timedelta(seconds=2)  # (object stores keep whole seconds)
        before = datetime.now(UTC) - slack
        data = _unique_bytes()
        ref = store.artifacts.put(data, media_type="text/plain")
        assert before <= store.artifacts.stored_at(ref.sha256) <= datetime.now(UTC) + slack
        long_ago = datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
        age_artifact(store, ref.sha256, long_ago)
        assert store.artifacts.stored_at(ref.sha256) == long_ago
        assert store.artifacts.put(data) == ref  # renewed, media type kept
        assert store.artifacts.stored_at(ref.sha256) >= before
        assert store.artifacts.stat(ref.sha256) == ref
        with pytest.raises(NotFound):
            store.artifacts.stored_at("0" * 64)

    def test_media_type_given_later_is_recorded(self, store: Store) -> None:
        data = _unique_bytes()
        assert store.artifacts.put(data).media_type is None
        assert store.artifacts.put(data, media_type="image/png").media_type == "image/png"
        assert store.artifacts.stat(hashlib.sha256(data).hexdigest()).media_type == "image/png"

    def test_empty_blob(self, store: Store) -> None:
        ref = store.artifacts.put(b"")
        assert ref.size == 0
        assert store.artifacts.get(ref.sha256) == b""
        with store.artifacts.open(ref.sha256) as stream:
            assert stream.read() == b""

    def test_iter_refs_is_sorted_and_complete(self, store: Store) -> None:
        refs = [store.artifacts.put(_unique_bytes()) for _ in range(5)]
        listed = [r.sha256 for r in store.artifacts.iter_refs()]
        assert listed == sorted(listed)
        assert {r.sha256 for r in refs} <= set(listed)

    def test_delete(self, store: Store) -> None:
        ref = store.artifacts.put(_unique_bytes())
        store.artifacts.delete(ref.sha256)
        assert not store.artifacts.exists(ref.sha256)
        assert ref.sha256 not in {r.sha256 for r in store.artifacts.iter_refs()}
        with pytest.raises(NotFound):
            store.artifacts.delete(ref.sha256)
        again = store.artifacts.put(store_bytes := _unique_bytes())
        assert store.artifacts.get(again.sha256) == store_bytes

    def test_quarantine_sets_a_blob_aside(self, store: Store) -> None:
        data = _unique_bytes()
        ref = store.artifacts.put(data, media_type="text/plain")
        assert store.artifacts.quarantine(ref.sha256)
        assert not store.artifacts.exists(ref.sha256)
        assert ref.sha256 not in {r.sha256 for r in store.artifacts.iter_refs()}
        with pytest.raises(NotFound):
            store.artifacts.get(ref.sha256)
        with pytest.raises(NotFound):
            store.artifacts.quarantine(ref.sha256)
        store.artifacts.put(data)  # the same bytes again: stored afresh, then set aside again
        assert store.artifacts.get(ref.sha256) == data
        assert [r.sha256 for r in store.artifacts.iter_refs()].count(ref.sha256) == 1
        store.artifacts.quarantine(ref.sha256)
        assert not store.artifacts.exists(ref.sha256)

    def test_unknown_hash_is_not_found(self, store: Store) -> None:
        missing = hashlib.sha256(_unique_bytes()).hexdigest()
        assert not store.artifacts.exists(missing)
        with pytest.raises(NotFound):
            store.artifacts.get(missing)
        with pytest.raises(NotFound):
            store.artifacts.open(missing)
        with pytest.raises(NotFound):
            store.artifacts.stat(missing)

    @pytest.mark.parametrize("bad", BAD_HASHES)
    def test_bad_hashes_are_invalid_input(self, store: Store, bad: object) -> None:
        for call in (store.artifacts.get, store.artifacts.open, store.artifacts.exists,
                     store.artifacts.delete, store.artifacts.stat):
            with pytest.raises(InvalidInput):
                call(bad)  # type: ignore[arg-type]

    @pytest.mark.parametrize("data", ["text", 12, None, [b"a"]])
    def test_bad_data_is_invalid_input(self, store: Store, data: object) -> None:
        with pytest.raises(InvalidInput):
            store.artifacts.put(data)  # type: ignore[arg-type]

    def test_bad_media_type_is_invalid_input(self, store: Store) -> None:
        data = _unique_bytes()
        with pytest.raises(InvalidInput):
            store.artifacts.put(data, media_type="no slash")
        assert not store.artifacts.exists(hashlib.sha256(data).hexdigest())

    def test_corrupted_blob_is_detected(self, store: Store) -> None:
        data = _unique_bytes(2 * 1024 * 1024)
        ref = store.artifacts.put(data)
        damaged = bytearray(data)
        damaged[len(data) // 2] ^= 0xFF
        damage_artifact(store, ref.sha256, bytes(damaged))
        with pytest.raises(CorruptRecord):
            store.artifacts.get(ref.sha256)
        with pytest.raises(CorruptRecord), store.artifacts.open(ref.sha256) as stream:
            while stream.read(65536):
                pass

    def test_truncated_blob_is_detected_when_streamed(self, store: Store) -> None:
        data = _unique_bytes(10_000)
        ref = store.artifacts.put(data)
        damage_artifact(store, ref.sha256, data[:5000])
        with pytest.raises(CorruptRecord), store.artifacts.open(ref.sha256) as stream:
            stream.read()

    def test_concurrent_puts_of_the_same_bytes(self, store: Store) -> None:
        data = _unique_bytes(512 * 1024)
        refs: list[object] = []
        errors: list[BaseException] = []

        def put() -> None:
            try:
                refs.append(store.artifacts.put(io.BytesIO(data)))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=put) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len({repr(r) for r in refs}) == 1
        assert store.artifacts.get(hashlib.sha256(data).hexdigest()) == data

    def test_location_is_a_url(self, store: Store) -> None:
        assert "://" in store.artifacts.location

    def test_errors_are_runstore_errors(self, store: Store) -> None:
        with pytest.raises(RunstoreError):
            store.artifacts.get("nope")

    def test_streaming_200_mb_stays_under_100_mb_resident(self, store_url: str) -> None:
        report = measure_streaming(store_url, STREAMED_SIZE)
        assert report["put_sha256"] == report["source_sha256"] == report["read_sha256"]
        assert report["size"] == report["read"] == STREAMED_SIZE
        # Measured from the store being open: some drivers alone need more than 100 MB.
        assert report["rss_peak_mb"] - report["rss_before_mb"] < RSS_LIMIT_MB, report
