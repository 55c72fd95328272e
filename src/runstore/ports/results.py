"""The results database port: cached task results and failures."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from runstore.models.common import JsonObject, Page
from runstore.models.results import ResultError, ResultRecord

__all__ = ["ResultRepository"]


class ResultRepository(Protocol):
    """A durable cache of results keyed by strings (1 to 512 characters).

    A later put for a key replaces the earlier record. Values go through a named
    serializer (``json`` by default, ``bytes``, ``arrow``, ``pickle`` when the store
    was opened with ``allow_pickle=True``, or a registered one); an encoded value
    larger than the store's ``inline_limit`` (1 MiB by default) is kept in the
    artifact store and the record keeps its ref. Nothing is written in the background.
    """

    def put_success(self, key: str, value: Any, *, serializer: str = "json",
                    metadata: JsonObject | None = None) -> ResultRecord:
        """Store ``value`` for ``key``; ``InvalidInput`` for a bad key, an unknown or
        refused serializer, or a value the serializer cannot encode."""
        ...

    def put_failure(self, key: str, error: BaseException | str | ResultError, *,
                    metadata: JsonObject | None = None) -> ResultRecord:
        """Record that computing ``key`` failed: an exception is kept as its type,
        message and traceback text; a string as the message."""
        ...

    def get_record(self, key: str) -> ResultRecord | None:
        """The record for ``key``, or ``None`` on a miss (a miss is normal for a cache)."""
        ...

    def has(self, key: str) -> bool:
        """True when a record (success or failure) is stored for ``key``."""
        ...

    def delete(self, key: str) -> None:
        """Forget ``key``; ``NotFound`` when nothing is stored for it."""
        ...

    def clear(self) -> None:
        """Forget every result (blobs in the artifact store are kept: they may be shared)."""
        ...

    def query(self, *, prefix: str | None = None, limit: int = 100,
              cursor: str | None = None) -> Page[ResultRecord]:
        """Records sorted by key, optionally only keys starting with ``prefix``."""
        ...

    def referenced_artifacts(self) -> Iterator[str]:
        """The sha256 of every blob a stored result refers to, each once, in no particular
        order: what ``runstore gc`` keeps. A record that cannot be read raises
        ``CorruptRecord`` (``runstore doctor`` finds it), so its blob is never let go."""
        ...

    def close(self) -> None:
        """Release what this repository holds; the store closes it too."""
        ...
