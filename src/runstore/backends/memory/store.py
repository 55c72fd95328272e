"""The memory backend: scratch stores and tests, with full transactions."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import ClassVar, Self

from runstore.backends._shared.locks import thread_lock
from runstore.backends.memory.tables import MemoryTables
from runstore.backends.memory.workflows import MemoryWorkflowRepository
from runstore.errors import InvalidInput
from runstore.ports.store import BackendInfo, Capabilities
from runstore.registry.url import StoreURL

__all__ = ["MemoryBackend"]


class MemoryBackend:
    """``memory://``: everything in this process, gone when the store is closed.

    Transactions and savepoints are real (an undo log); nothing is shared with other
    processes, and nothing is durable.
    """

    schemes: ClassVar[tuple[str, ...]] = ("memory",)
    capabilities: ClassVar[Capabilities] = Capabilities(
        transactions=True, savepoints=True, multi_process=False, durable=False
    )

    def __init__(self, url: StoreURL) -> None:
        self._url = url
        self._tables = MemoryTables()
        self.workflows = MemoryWorkflowRepository(self._tables)

    @classmethod
    def open(cls, url: StoreURL, /, **options: object) -> Self:
        if options:
            raise InvalidInput(f"memory:// takes no options, got {sorted(options)}")
        return cls(url)

    @property
    def url(self) -> StoreURL:
        return self._url

    def transaction(self) -> AbstractContextManager[None]:
        return self._tables.transaction()

    def lock(self, name: str, timeout: float | None = None) -> AbstractContextManager[None]:
        return thread_lock(self, name, timeout)

    def info(self) -> BackendInfo:
        with self._tables.lock:
            counts = self._tables.counts()
        return BackendInfo(backend="memory", url=self._url.render(), schema_version=None,
                           counts=counts)

    def close(self) -> None:
        """Nothing to release; the data goes with the object."""
