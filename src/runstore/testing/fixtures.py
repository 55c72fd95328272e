"""Helpers for the conformance suite: unique ids, and work run in other processes.

Functions run in spawned processes live here at module level so ``spawn`` can import
them; they take a URL (only a URL crosses a process boundary) and return plain data.
"""

from __future__ import annotations

import multiprocessing
import uuid
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import runstore
from runstore.errors import LockTimeout

__all__ = ["run_in_processes", "store_versions", "try_lock", "unique_id"]

T = TypeVar("T")


def unique_id(prefix: str = "id") -> str:
    """A fresh id for one test, so the suite can share a store or a server."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def run_in_processes(function: Callable[..., T], calls: Iterable[tuple[Any, ...]],
                     *, timeout: float = 120) -> list[T]:
    """Run ``function(*args)`` for each args tuple in its own spawned process, at once."""
    context = multiprocessing.get_context("spawn")
    arguments = list(calls)
    with context.Pool(processes=len(arguments)) as pool:
        pending = [pool.apply_async(function, args) for args in arguments]
        return [result.get(timeout=timeout) for result in pending]


def store_versions(url: str, workflow_id: str, tag: str, count: int) -> list[int]:
    """Store ``count`` distinct definitions of one workflow; return the versions given."""
    with runstore.open(url) as store:
        return [store.workflows.store(workflow_id, {"writer": tag, "n": n}).version
                for n in range(count)]


def try_lock(url: str, name: str, timeout: float) -> str:
    """Try to take lock ``name``: ``"acquired"`` or ``"timeout"``."""
    with runstore.open(url) as store:
        try:
            with store.lock(name, timeout=timeout):
                return "acquired"
        except LockTimeout:
            return "timeout"
