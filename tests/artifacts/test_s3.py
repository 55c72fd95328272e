"""The artifact and results contracts with blobs in S3 (moto's server, not a mock)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import runstore
from runstore.errors import BackendUnavailable, InvalidInput
from runstore.testing import ArtifactsContract, ResultsContract


class TestSqliteWithS3Artifacts(ArtifactsContract, ResultsContract):
    @pytest.fixture
    def store_url(self, tmp_path: Path, s3_location: str) -> str:
        return f"sqlite:///{tmp_path / 'runstore.db'}?artifacts={s3_location}"


def test_blobs_are_objects_at_content_addressed_keys(s3_location: str) -> None:
    import s3fs

    with runstore.open("memory://", artifacts=s3_location) as store:
        ref = store.artifacts.put(b"hello s3", media_type="text/plain")
        assert store.artifacts.location == s3_location
    fs = s3fs.S3FileSystem(skip_instance_cache=True, use_listings_cache=False)
    key = f"{s3_location[5:]}/{ref.sha256[:2]}/{ref.sha256[2:4]}/{ref.sha256}"
    assert fs.cat_file(key) == b"hello s3"
    assert fs.info(key)["ContentType"] == "text/plain"
    assert ref.sha256 == hashlib.sha256(b"hello s3").hexdigest()


def test_a_missing_bucket_is_backend_unavailable(s3_endpoint: str) -> None:
    with runstore.open("memory://", artifacts="s3://no-such-bucket-here/x") as store, \
            pytest.raises(BackendUnavailable):
        store.artifacts.put(b"data")


def test_bad_locations_are_invalid_input() -> None:
    for location in ("s3://", "ftp://host/x", "no-scheme"):
        with pytest.raises(InvalidInput):
            runstore.open("memory://", artifacts=location)
