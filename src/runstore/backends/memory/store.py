"""The memory backend: scratch stores and tests, with full transactions."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import ClassVar, Self

from runstore.backends._shared.blobs import open_blob_store
from runstore.backends._shared.conversations import artifacts_of
from runstore.backends._shared.locks import thread_lock
from runstore.backends._shared.options import ResultOptions, split_options
from runstore.backends._shared.results import ResultCodec
from runstore.backends.memory.conversations import MemoryConversationRepository
from runstore.backends.memory.logs import MemoryLogRepository
from runstore.backends.memory.metrics import MemoryMetricsRepository
from runstore.backends.memory.results import MemoryDefinitionRepository, MemoryResultRepository
from runstore.backends.memory.runs import MemoryRunRepository
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

    def __init__(self, url: StoreURL, results: ResultOptions | None = None) -> None:
        self._url = url
        self._tables = MemoryTables()
        results = results or ResultOptions()
        self.artifacts = open_blob_store(results.artifacts or "memory://")
        self.results = MemoryResultRepository(
            self._tables, ResultCodec(results, self.artifacts, verify_inline=False))
        self.definitions = MemoryDefinitionRepository(self._tables)
        self.workflows = MemoryWorkflowRepository(self._tables)
        self.conversations = MemoryConversationRepository(self._tables, artifacts_of(self))
        self.runs = MemoryRunRepository(self._tables)
        self.logs = MemoryLogRepository(self._tables)
        self.metrics = MemoryMetricsRepository(self._tables)

    @classmethod
    def open(cls, url: StoreURL, /, **options: object) -> Self:
        results, options, _ = split_options(url, options)
        if options:
            raise InvalidInput(f"memory:// takes no options, got {sorted(options)}")
        return cls(url, results)

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
        """Nothing to release but blobs spilled to a temporary folder."""
        self.artifacts.close()
