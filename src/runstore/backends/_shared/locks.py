"""Named locks for backends that keep their data in local files or in memory."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import filelock

from runstore.errors import LockTimeout

__all__ = ["file_lock", "lock_file_name", "thread_lock"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def lock_file_name(name: str) -> str:
    """A safe file name for lock ``name``: readable prefix plus a hash (no collisions)."""
    readable = _UNSAFE.sub("_", name)[:40].lstrip(".")
    return f"{readable}-{hashlib.sha256(name.encode()).hexdigest()[:16]}.lock"


@contextmanager
def file_lock(folder: Path, name: str, timeout: float | None) -> Iterator[None]:
    """Hold an OS file lock named ``name`` in ``folder``; excludes threads and processes."""
    folder.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(
        str(folder / lock_file_name(name)),
        timeout=-1 if timeout is None else timeout,
        thread_local=False,
        is_singleton=False,
    )
    try:
        lock.acquire()
    except filelock.Timeout as exc:
        raise LockTimeout(name, timeout) from exc
    try:
        yield
    finally:
        lock.release()


_thread_locks: dict[tuple[int, str], threading.Lock] = {}
_registry_lock = threading.Lock()


@contextmanager
def thread_lock(owner: object, name: str, timeout: float | None) -> Iterator[None]:
    """An in-process named lock scoped to ``owner`` (for stores no other process can see)."""
    with _registry_lock:
        lock = _thread_locks.setdefault((id(owner), name), threading.Lock())
    if not lock.acquire(timeout=-1 if timeout is None else timeout):
        raise LockTimeout(name, timeout)
    try:
        yield
    finally:
        lock.release()
