"""Blobs of a ``memory://`` store: small ones in a dict, large ones spilled to a temp folder."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Final

from runstore.backends._shared.blobs.base import (
    VerifyingReader,
    check_media_type,
    check_sha256,
    iter_chunks,
    not_found,
    verified,
    verify_bytes,
)
from runstore.models.artifacts import ArtifactRef

__all__ = ["MemoryBlobStore"]

SPILL: Final = 8 * 1024 * 1024


class MemoryBlobStore:
    """Blobs that last as long as the store.

    A blob larger than ``spill`` bytes is written to a private temporary folder (removed
    by ``close()``), so streaming a large blob in or out never holds it in memory.
    """

    def __init__(self, *, spill: int = SPILL) -> None:
        self._spill = spill
        self._lock = threading.Lock()
        self._blobs: dict[str, tuple[bytes | Path, int, str | None]] = {}
        self._stored: dict[str, datetime] = {}  # (see stored_at)
        self._quarantined: list[tuple[bytes | Path, int, str | None]] = []
        self._folder: Path | None = None

    @property
    def location(self) -> str:
        return "memory://"

    def _spill_folder(self) -> Path:
        with self._lock:
            if self._folder is None:
                self._folder = Path(tempfile.mkdtemp(prefix="runstore-blobs-"))
            return self._folder

    def put(self, data: bytes | BinaryIO, *, media_type: str | None = None) -> ArtifactRef:
        media_type = check_media_type(media_type)
        digest = hashlib.sha256()
        buffer = io.BytesIO()
        spilled: BinaryIO | None = None
        spill_path: Path | None = None
        size = 0
        try:
            for chunk in iter_chunks(data):
                digest.update(chunk)
                size += len(chunk)
                if spilled is None and size > self._spill:
                    fd, name = tempfile.mkstemp(dir=self._spill_folder(), suffix=".blob")
                    spill_path = Path(name)
                    spilled = os.fdopen(fd, "wb")
                    spilled.write(buffer.getvalue())
                    buffer = io.BytesIO()
                    spilled.write(chunk)
                elif spilled is not None:
                    spilled.write(chunk)
                else:
                    buffer.write(chunk)
            if spilled is not None:
                spilled.close()
        except BaseException:
            if spilled is not None:
                spilled.close()
            if spill_path is not None:
                spill_path.unlink(missing_ok=True)
            raise
        sha256 = digest.hexdigest()
        content: bytes | Path = spill_path if spill_path is not None else buffer.getvalue()
        with self._lock:
            self._stored[sha256] = datetime.now(UTC)
            existing = self._blobs.get(sha256)
            if existing is None:
                self._blobs[sha256] = (content, size, media_type)
                return ArtifactRef(sha256=sha256, size=size, media_type=media_type)
            if existing[2] is None and media_type is not None:
                self._blobs[sha256] = (existing[0], size, media_type)
            recorded = self._blobs[sha256][2]
        if spill_path is not None:
            spill_path.unlink(missing_ok=True)
        return ArtifactRef(sha256=sha256, size=size, media_type=recorded)

    def _entry(self, sha256: str) -> tuple[bytes | Path, int, str | None]:
        check_sha256(sha256)
        with self._lock:
            entry = self._blobs.get(sha256)
        if entry is None:
            raise not_found(sha256)
        return entry

    def stat(self, sha256: str) -> ArtifactRef:
        _, size, media_type = self._entry(sha256)
        return ArtifactRef(sha256=sha256, size=size, media_type=media_type)

    def stored_at(self, sha256: str) -> datetime:
        self._entry(sha256)
        with self._lock:
            return self._stored[sha256]

    def set_stored_at(self, sha256: str, when: datetime) -> None:
        """Change a blob's ``stored_at`` (tests age blobs with it)."""
        self._entry(sha256)
        with self._lock:
            self._stored[sha256] = when

    def get(self, sha256: str) -> bytes:
        content, _, _ = self._entry(sha256)
        data = content.read_bytes() if isinstance(content, Path) else content
        return verify_bytes(data, sha256, f"memory://{sha256}")

    def open(self, sha256: str) -> BinaryIO:
        content, size, media_type = self._entry(sha256)
        ref = ArtifactRef(sha256=sha256, size=size, media_type=media_type)
        inner: BinaryIO = (content.open("rb", buffering=0) if isinstance(content, Path)
                           else io.BytesIO(content))
        return verified(VerifyingReader(inner, ref, f"memory://{sha256}"))

    def exists(self, sha256: str) -> bool:
        check_sha256(sha256)
        with self._lock:
            return sha256 in self._blobs

    def _pop(self, sha256: str) -> tuple[bytes | Path, int, str | None]:
        check_sha256(sha256)
        with self._lock:
            entry = self._blobs.pop(sha256, None)
            self._stored.pop(sha256, None)
        if entry is None:
            raise not_found(sha256)
        return entry

    def delete(self, sha256: str) -> None:
        entry = self._pop(sha256)
        if isinstance(entry[0], Path):
            entry[0].unlink(missing_ok=True)

    def iter_refs(self) -> Iterator[ArtifactRef]:
        with self._lock:
            names = sorted(self._blobs)
        for name in names:
            with contextlib.suppress(LookupError):
                yield self.stat(name)

    def quarantine(self, sha256: str) -> str:
        """Set a blob aside (kept until ``close()``, no longer served)."""
        entry = self._pop(sha256)
        with self._lock:
            self._quarantined.append(entry)
        return "set aside in memory until the store is closed"

    def write_unverified(self, sha256: str, data: bytes) -> None:
        """Replace a blob's bytes without hashing them (tests simulate damage with it)."""
        content, size, media_type = self._entry(sha256)
        if isinstance(content, Path):
            content.write_bytes(data)
        else:
            with self._lock:
                self._blobs[sha256] = (data, size, media_type)

    def close(self) -> None:
        """Drop every blob and remove the spill folder."""
        with self._lock:
            self._blobs.clear()
            self._stored.clear()
            self._quarantined.clear()
            folder, self._folder = self._folder, None
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
