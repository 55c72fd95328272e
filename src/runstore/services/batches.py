"""Batching for streams of records: fixed-size lists, bounded in bytes, and grouping."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Final, TypeVar

__all__ = ["BYTE_BUDGET", "batched", "grouped"]

T = TypeVar("T")
K = TypeVar("K")

# A batch of records carrying bytes (inline result values) stops growing past this many
# bytes, so a copy's memory stays bounded whatever the batch size asked for.
BYTE_BUDGET: Final = 16 * 1024 * 1024


def batched(items: Iterable[T], batch_size: int, *, weight: Callable[[T], int] | None = None,
            budget: int = BYTE_BUDGET) -> Iterator[list[T]]:
    """``items`` in lists of at most ``batch_size``; with ``weight``, a list also ends
    once its total weight reaches ``budget`` (a list always holds at least one item)."""
    batch: list[T] = []
    total = 0
    for item in items:
        batch.append(item)
        if weight is not None:
            total += weight(item)
        if len(batch) >= batch_size or total >= budget:
            yield batch
            batch, total = [], 0
    if batch:
        yield batch


def grouped(records: Iterable[T], key: Callable[[T], K]) -> dict[K, list[T]]:
    """``records`` grouped by ``key``, in first-seen order, each group in input order."""
    groups: dict[K, list[T]] = {}
    for record in records:
        groups.setdefault(key(record), []).append(record)
    return groups
