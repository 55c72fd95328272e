"""Blob stores behind ``store.artifacts``, chosen by a location URL.

- ``file://PATH``: a local folder (:class:`LocalBlobStore`),
- ``s3://bucket/prefix``: S3-compatible object storage (:class:`S3BlobStore`),
- ``memory://``: in this process (:class:`MemoryBlobStore`).

Every backend uses them, so they live here, not in one backend.
"""

from __future__ import annotations

from pathlib import Path

from runstore.backends._shared.blobs.local import LocalBlobStore
from runstore.backends._shared.blobs.memory import MemoryBlobStore
from runstore.backends._shared.blobs.s3 import S3BlobStore
from runstore.errors import InvalidInput

__all__ = ["BlobStore", "LocalBlobStore", "MemoryBlobStore", "S3BlobStore", "open_blob_store"]

BlobStore = LocalBlobStore | MemoryBlobStore | S3BlobStore


def open_blob_store(location: str, *, durable: bool = True) -> BlobStore:
    """The blob store for a location URL (``file://``, ``s3://`` or ``memory://``).

    Nothing is created or contacted until the first write or read.
    """
    scheme, sep, rest = location.partition("://")
    scheme = scheme.lower()
    if not sep:
        raise InvalidInput(
            f"invalid artifacts location {location!r}: expected file://PATH, "
            "s3://bucket/prefix or memory://")
    if scheme == "file":
        path = rest.split("?", 1)[0]
        if not path:
            raise InvalidInput(f"invalid artifacts location {location!r}: give a folder")
        return LocalBlobStore(Path(path).expanduser().resolve(), durable=durable)
    if scheme == "memory":
        return MemoryBlobStore()
    if scheme == "s3":
        return S3BlobStore(location)
    raise InvalidInput(
        f"unknown artifacts location {location!r}: use file://PATH, s3://bucket/prefix "
        "or memory://")
