"""What every blob store shares: hash checks, chunked input, a verifying reader."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from typing import BinaryIO, Final

from runstore.errors import CorruptRecord, InvalidInput, NotFound
from runstore.models.artifacts import ArtifactRef

__all__ = [
    "CHUNK",
    "VerifyingReader",
    "blob_key",
    "check_media_type",
    "check_sha256",
    "iter_chunks",
    "not_found",
    "verified",
    "verify_bytes",
]

CHUNK: Final = 1024 * 1024
_SHA256: Final = re.compile(r"^[0-9a-f]{64}$")


def check_sha256(value: object) -> str:
    """A blob name must be 64 lowercase hex digits (which also keeps it inside the store)."""
    if not isinstance(value, str) or not _SHA256.fullmatch(value):
        raise InvalidInput(f"invalid artifact hash {value!r}: expected 64 lowercase hex digits")
    return value


def check_media_type(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= 255 or "\n" in value \
            or "/" not in value:
        raise InvalidInput(f"invalid media type {value!r}: expected e.g. 'application/json'")
    return value


def blob_key(sha256: str) -> str:
    """The content-addressed path of a blob: ``ab/cd/abcdef...``."""
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


def not_found(sha256: str) -> NotFound:
    return NotFound("artifact", sha256)


def iter_chunks(data: bytes | bytearray | memoryview | BinaryIO,
                size: int = CHUNK) -> Iterator[bytes]:
    """The bytes of ``data`` in chunks; a file is read ``size`` bytes at a time."""
    if isinstance(data, bytes | bytearray | memoryview):
        view = memoryview(data).cast("B")
        for start in range(0, len(view), size):
            yield bytes(view[start:start + size])
        return
    read = getattr(data, "read", None)
    if read is None or isinstance(data, str):
        raise InvalidInput(
            f"artifact data must be bytes or a binary file, not {type(data).__name__}")
    while True:
        chunk = read(size)
        if not chunk:
            return
        if not isinstance(chunk, bytes | bytearray | memoryview):
            raise InvalidInput(
                f"artifact data must be a binary file; read() gave {type(chunk).__name__}")
        yield bytes(chunk)


class VerifyingReader(io.RawIOBase):
    """Wraps a raw stream of a blob; hashes what is read and checks it at the end.

    Reaching the end of a stream whose bytes do not match ``sha256`` (or ``size``)
    raises ``CorruptRecord`` naming ``location``.
    """

    def __init__(self, inner: BinaryIO, ref: ArtifactRef, location: str) -> None:
        super().__init__()
        self._inner = inner
        self._ref = ref
        self._location = location
        self._hash = hashlib.sha256()
        self._read = 0
        self._checked = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        chunk = self._inner.read(len(view))
        if not chunk:
            self._verify()
            return 0
        count = len(chunk)
        view[:count] = chunk
        self._hash.update(chunk)
        self._read += count
        if self._read > self._ref.size:
            self._verify()
        return count

    def _verify(self) -> None:
        if self._checked:
            return
        self._checked = True
        if self._read != self._ref.size or self._hash.hexdigest() != self._ref.sha256:
            raise CorruptRecord(
                self._location,
                f"blob bytes do not match sha256 {self._ref.sha256} "
                f"(read {self._read} bytes, expected {self._ref.size})",
            )

    def close(self) -> None:
        if not self.closed:
            self._inner.close()
        super().close()


def verified(raw: VerifyingReader) -> BinaryIO:
    """A buffered reader over ``raw`` (what ``ArtifactRepository.open`` returns)."""
    return io.BufferedReader(raw, buffer_size=CHUNK)


def verify_bytes(data: bytes, sha256: str, location: str) -> bytes:
    if hashlib.sha256(data).hexdigest() != sha256:
        raise CorruptRecord(location, f"blob bytes do not match sha256 {sha256}")
    return data
