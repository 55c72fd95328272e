"""Blobs in S3-compatible object storage through fsspec and s3fs.

Endpoint, region and credentials come from the usual environment variables
(``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
``AWS_DEFAULT_REGION``, profiles...), exactly as for the AWS command line.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from typing import Any, BinaryIO, Final, TypeVar

from runstore.backends._shared.blobs.base import (
    CHUNK,
    VerifyingReader,
    blob_key,
    check_media_type,
    check_sha256,
    iter_chunks,
    not_found,
    verified,
    verify_bytes,
)
from runstore.errors import BackendUnavailable, InvalidInput, RunstoreError
from runstore.models.artifacts import ArtifactRef
from runstore.models.common import ensure_utc

__all__ = ["S3BlobStore"]

T = TypeVar("T")

# Blobs up to this size are sent in one PUT from memory; larger ones are staged in a
# temporary file while they are hashed, then uploaded in parts of this size.
PART: Final = 8 * 1024 * 1024
# What S3 reports for an object stored without a Content-Type.
_NO_TYPE: Final = "binary/octet-stream"
# Object metadata: when a put of the same bytes renewed the blob (see stored_at).
_STORED: Final = "runstore_stored"


class S3BlobStore:
    """``s3://bucket/prefix``: one object per blob at ``prefix/ab/cd/<sha256>``.

    A blob's media type is its ``Content-Type``; ``prefix/quarantine/`` holds damaged
    blobs moved aside by ``runstore doctor --repair``. Uploads are atomic (S3 shows a whole
    object or none), and bytes already stored are not uploaded again.
    """

    def __init__(self, url: str) -> None:
        if not url.startswith("s3://") or not url[5:].split("/", 1)[0]:
            raise InvalidInput(f"invalid S3 location {url!r}: expected s3://bucket/prefix")
        self._url = url.rstrip("/")
        self._root = url[5:].strip("/")
        try:
            import s3fs
        except ImportError as exc:
            raise BackendUnavailable(
                url, f"s3fs is not installed ({exc}); install it with: pip install 'runstore[s3]'"
            ) from exc
        self._fs: Any = s3fs.S3FileSystem(skip_instance_cache=True, use_listings_cache=False)

    @property
    def location(self) -> str:
        return self._url

    def _key(self, sha256: str) -> str:
        return f"{self._root}/{blob_key(check_sha256(sha256))}"

    def _call(self, action: Callable[[], T], sha256: str | None = None) -> T:
        try:
            return action()
        except RunstoreError:
            raise
        except FileNotFoundError as exc:
            if sha256 is None:
                raise BackendUnavailable(self._url, f"bucket or prefix not found ({exc})") from exc
            raise not_found(sha256) from exc
        except Exception as exc:  # botocore and aiohttp errors have no common base
            raise BackendUnavailable(self._url, f"{type(exc).__name__}: {exc}") from exc

    def put(self, data: bytes | BinaryIO, *, media_type: str | None = None) -> ArtifactRef:
        media_type = check_media_type(media_type)
        extra = {"ContentType": media_type} if media_type else {}
        digest = hashlib.sha256()
        head: list[bytes] = []
        size = 0
        chunks = iter_chunks(data)
        for chunk in chunks:
            digest.update(chunk)
            head.append(chunk)
            size += len(chunk)
            if size > PART:
                break
        if size <= PART:
            body = b"".join(head)
            sha256 = digest.hexdigest()
            if not self.exists(sha256):
                self._call(lambda: self._fs.pipe_file(self._key(sha256), body, **extra))
                return self.stat(sha256)
            return self._renew(sha256, media_type)
        fd, staged = tempfile.mkstemp(prefix="runstore-s3-", suffix=".blob")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.writelines(head)
                head.clear()
                for chunk in chunks:
                    digest.update(chunk)
                    size += len(chunk)
                    handle.write(chunk)
            sha256 = digest.hexdigest()
            if self.exists(sha256):
                return self._renew(sha256, media_type)
            # S3 allows 10,000 parts; two in flight keep memory bounded.
            part = max(PART, -(-size // 10_000))
            self._call(lambda: self._fs.put_file(staged, self._key(sha256), chunksize=part,
                                                 max_concurrency=2, **extra))
        finally:
            with contextlib.suppress(OSError):
                os.unlink(staged)
        return self.stat(sha256)

    def _renew(self, sha256: str, media_type: str | None) -> ArtifactRef:
        """Bytes already stored: renew their time (see ``stored_at``), giving them
        ``media_type`` if they had none (the first wins)."""
        ref = self.stat(sha256)
        kept = ref.media_type or media_type
        self._mark_stored(sha256, kept, datetime.now(UTC))
        return ref if kept == ref.media_type else ref.model_copy(update={"media_type": kept})

    def _mark_stored(self, sha256: str, media_type: str | None, when: datetime) -> None:
        """Record ``when`` in the object's metadata, with a copy of the object onto itself
        (S3's only way to change an object's metadata; its media type is kept)."""
        key = self._key(sha256)
        self._call(lambda: self._fs.setxattr(
            key, copy_kwargs={"ContentType": media_type} if media_type else {},
            **{_STORED: when.isoformat()}), sha256)
        self._fs.invalidate_cache(key)

    def stat(self, sha256: str) -> ArtifactRef:
        info = self._call(lambda: self._fs.info(self._key(sha256)), sha256)
        if info.get("type") != "file":
            raise not_found(sha256)
        content_type = info.get("ContentType")
        return ArtifactRef(sha256=sha256, size=int(info["size"]),
                           media_type=None if content_type in {None, "", _NO_TYPE}
                           else content_type)

    def stored_at(self, sha256: str) -> datetime:
        """The time a put of the same bytes recorded in the object's metadata, else the
        object's own (its first put)."""
        key = self._key(sha256)
        metadata = self._call(lambda: self._fs.metadata(key, refresh=True), sha256)
        renewed = metadata.get(_STORED.replace("_", "-"))
        if renewed:
            return ensure_utc(datetime.fromisoformat(renewed))
        info = self._call(lambda: self._fs.info(key, refresh=True), sha256)
        modified: datetime = info["LastModified"]
        return ensure_utc(modified)

    def set_stored_at(self, sha256: str, when: datetime) -> None:
        """Change a blob's ``stored_at`` (tests age blobs with it)."""
        self._mark_stored(sha256, self.stat(sha256).media_type, when)

    def get(self, sha256: str) -> bytes:
        data: bytes = self._call(lambda: self._fs.cat_file(self._key(sha256)), sha256)
        return verify_bytes(data, sha256, f"{self._url}/{blob_key(sha256)}")

    def open(self, sha256: str) -> BinaryIO:
        ref = self.stat(sha256)
        handle = self._call(lambda: self._fs.open(self._key(sha256), "rb", block_size=CHUNK * 4,
                                                  cache_type="readahead"), sha256)
        return verified(VerifyingReader(handle, ref, f"{self._url}/{blob_key(sha256)}"))

    def exists(self, sha256: str) -> bool:
        return bool(self._call(lambda: self._fs.isfile(self._key(sha256))))

    def delete(self, sha256: str) -> None:
        if not self.exists(sha256):
            raise not_found(sha256)
        self._call(lambda: self._fs.rm_file(self._key(sha256)), sha256)

    def iter_refs(self) -> Iterator[ArtifactRef]:
        found: dict[str, Any] = self._call(lambda: self._fs.find(self._root, detail=True)) \
            if self._call(lambda: self._fs.exists(self._root)) else {}
        for path in sorted(found):
            name = path.rsplit("/", 1)[-1]
            if len(name) == 64 and path == f"{self._root}/{blob_key(name)}":
                with contextlib.suppress(LookupError, InvalidInput):
                    yield self.stat(name)

    def quarantine(self, sha256: str) -> str:
        """Move a blob to ``prefix/quarantine/ab/cd/<sha256>`` (a copy, then a delete)."""
        if not self.exists(sha256):
            raise not_found(sha256)
        base = f"{self._root}/quarantine/{blob_key(sha256)}"
        target, n = base, 0
        while self._call(partial(self._fs.exists, target)):
            n += 1
            target = f"{base}.{n}"
        self._call(partial(self._fs.mv, self._key(sha256), target), sha256)
        return f"moved to s3://{target}"

    def write_unverified(self, sha256: str, data: bytes) -> None:
        """Overwrite a blob's bytes without hashing them (tests simulate damage with it)."""
        self._call(lambda: self._fs.pipe_file(self._key(sha256), data))

    def close(self) -> None:
        """s3fs keeps no handle that needs closing between calls."""
