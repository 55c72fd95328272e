"""Blobs in a local folder: ``ROOT/ab/cd/<sha256>``, written through a temp file and a rename."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from runstore.backends._shared.blobs.base import (
    VerifyingReader,
    blob_key,
    check_media_type,
    check_sha256,
    iter_chunks,
    not_found,
    verified,
    verify_bytes,
)
from runstore.errors import BackendUnavailable
from runstore.models.artifacts import ArtifactRef
from runstore.services.doctor import quarantine_path

__all__ = ["LocalBlobStore"]


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalBlobStore:
    """A folder of content-addressed blobs; several processes may share it.

    Layout: ``ROOT/ab/cd/<sha256>`` holds the bytes, ``<sha256>.type`` the media type
    (only when one was given), ``ROOT/.tmp/`` blobs being written, ``ROOT/quarantine/``
    damaged blobs moved aside by ``runstore doctor --repair``. The folder is
    created on the first write. ``durable`` fsyncs each blob and its folder.
    """

    def __init__(self, root: Path, *, durable: bool = True) -> None:
        self.root = root
        self.durable = durable

    @property
    def location(self) -> str:
        return f"file://{self.root}"

    def _path(self, sha256: str) -> Path:
        return self.root / blob_key(check_sha256(sha256))

    def put(self, data: bytes | BinaryIO, *, media_type: str | None = None) -> ArtifactRef:
        media_type = check_media_type(media_type)
        staging = self.root / ".tmp"
        try:
            staging.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=staging, prefix="blob.", suffix=".tmp")
        except OSError as exc:
            raise BackendUnavailable(self.location, f"cannot write blobs: {exc}") from exc
        try:
            digest = hashlib.sha256()
            size = 0
            with os.fdopen(fd, "wb") as handle:
                for chunk in iter_chunks(data):
                    digest.update(chunk)
                    size += len(chunk)
                    handle.write(chunk)
                handle.flush()
                if self.durable:
                    os.fsync(handle.fileno())
            sha256 = digest.hexdigest()
            path = self._path(sha256)
            path.parent.mkdir(parents=True, exist_ok=True)
            if media_type is not None and not path.with_suffix(".type").exists():
                self._write_small(path.with_suffix(".type"), media_type.encode())
            if _renewed(path):
                os.unlink(tmp)
            else:
                os.replace(tmp, path)
                if self.durable:
                    _fsync_dir(path.parent)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return ArtifactRef(sha256=sha256, size=size, media_type=self._media_type(path))

    def _write_small(self, path: Path, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.root / ".tmp", prefix="type.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)

    @staticmethod
    def _media_type(path: Path) -> str | None:
        try:
            return path.with_suffix(".type").read_text(encoding="utf-8") or None
        except (OSError, UnicodeDecodeError):
            return None

    def stat(self, sha256: str) -> ArtifactRef:
        path = self._path(sha256)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise not_found(sha256) from None
        return ArtifactRef(sha256=sha256, size=size, media_type=self._media_type(path))

    def stored_at(self, sha256: str) -> datetime:
        try:
            modified = self._path(sha256).stat().st_mtime
        except FileNotFoundError:
            raise not_found(sha256) from None
        return datetime.fromtimestamp(modified, UTC)

    def set_stored_at(self, sha256: str, when: datetime) -> None:
        """Change a blob's ``stored_at`` (tests age blobs with it)."""
        stamp = when.timestamp()
        try:
            os.utime(self._path(sha256), (stamp, stamp))
        except FileNotFoundError:
            raise not_found(sha256) from None

    def get(self, sha256: str) -> bytes:
        path = self._path(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise not_found(sha256) from None
        return verify_bytes(data, sha256, str(path))

    def open(self, sha256: str) -> BinaryIO:
        ref = self.stat(sha256)
        path = self._path(sha256)
        try:
            handle = path.open("rb", buffering=0)
        except FileNotFoundError:
            raise not_found(sha256) from None
        return verified(VerifyingReader(handle, ref, str(path)))

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()

    def delete(self, sha256: str) -> None:
        path = self._path(sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            raise not_found(sha256) from None
        with contextlib.suppress(FileNotFoundError):
            path.with_suffix(".type").unlink()

    def iter_refs(self) -> Iterator[ArtifactRef]:
        if not self.root.is_dir():
            return
        for first in _sorted_dirs(self.root):
            for second in _sorted_dirs(first):
                for name in sorted(os.listdir(second)):
                    if len(name) == 64 and name.startswith(first.name + second.name):
                        with contextlib.suppress(FileNotFoundError):
                            yield self.stat(name)

    def quarantine(self, sha256: str) -> str:
        """Move a blob (and its media type) to ``ROOT/quarantine/ab/cd/<sha256>``."""
        path = self._path(sha256)
        target = quarantine_path(self.root, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(path, target)
        except FileNotFoundError:
            raise not_found(sha256) from None
        with contextlib.suppress(FileNotFoundError):
            os.replace(path.with_suffix(".type"), f"{target}.type")
        return f"moved to {target}"

    def write_unverified(self, sha256: str, data: bytes) -> None:
        """Overwrite a blob's bytes without hashing them (tests simulate damage with it)."""
        self._path(sha256).write_bytes(data)

    def close(self) -> None:
        """Nothing is held open."""


def _renewed(path: Path) -> bool:
    """Whether the blob at ``path`` is stored already; if so, its time is renewed (see
    ``stored_at``). False when it is not, or was removed meanwhile (by gc)."""
    try:
        os.utime(path)
    except FileNotFoundError:
        return False
    return True


def _sorted_dirs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if len(p.name) == 2 and p.is_dir())
