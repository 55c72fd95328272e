"""The artifact store port: content-addressed blobs, streamed in and out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO, Protocol

from runstore.models.artifacts import ArtifactRef

__all__ = ["ArtifactRepository"]


class ArtifactRepository(Protocol):
    """Blobs named by the sha256 of their bytes, in a local folder, memory or S3.

    Writes are atomic (a reader sees the whole blob or nothing) and idempotent: the
    same bytes stored twice are stored once. Blobs live outside the database, so they
    are not part of ``store.transaction()``. Hashes are 64 lowercase hex digits; any
    other string raises ``InvalidInput``.
    """

    @property
    def location(self) -> str:
        """Where the blobs live, as a URL (``file:///...``, ``s3://bucket/prefix``, ``memory://``)."""
        ...

    def put(self, data: bytes | BinaryIO, *, media_type: str | None = None) -> ArtifactRef:
        """Store ``data`` (bytes, or a binary file read in chunks, never whole).

        The hash is computed while the bytes are written; returns the stored ref.
        """
        ...

    def get(self, sha256: str) -> bytes:
        """All the bytes of a blob; ``NotFound`` when absent, ``CorruptRecord`` when the
        bytes no longer match their hash."""
        ...

    def open(self, sha256: str) -> BinaryIO:
        """A readable binary stream over the blob, in bounded memory.

        The hash is checked as the stream is read: reading to the end of a damaged
        blob raises ``CorruptRecord``. ``NotFound`` when absent.
        """
        ...

    def exists(self, sha256: str) -> bool:
        """True when the blob is stored."""
        ...

    def stat(self, sha256: str) -> ArtifactRef:
        """The ref of a stored blob (size and media type); ``NotFound`` when absent."""
        ...

    def stored_at(self, sha256: str) -> datetime:
        """When the blob's bytes were last stored (UTC): putting the same bytes again
        renews it, so ``runstore gc`` keeps blobs a writer is about to refer to (its
        grace period). ``NotFound`` when absent."""
        ...

    def delete(self, sha256: str) -> None:
        """Remove a blob; ``NotFound`` when absent. Records referring to it are not checked."""
        ...

    def iter_refs(self) -> Iterator[ArtifactRef]:
        """Every stored blob, sorted by hash, streamed."""
        ...

    def quarantine(self, sha256: str) -> str:
        """Move a blob aside, never deleting its bytes: it is no longer served (``exists``
        is false, ``get`` raises ``NotFound``) and the same bytes can be stored again.

        ``runstore doctor --repair`` does this with blobs whose bytes no longer match
        their hash. Returns where the bytes went; ``NotFound`` when absent.
        """
        ...
