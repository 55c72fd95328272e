"""The backend port: what a storage backend provides to a :class:`runstore.Store`."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol

if TYPE_CHECKING:
    from runstore.ports.artifacts import ArtifactRepository
    from runstore.ports.conversations import ConversationRepository
    from runstore.ports.definitions import DefinitionRepository
    from runstore.ports.logs import LogRepository
    from runstore.ports.metrics import MetricsRepository
    from runstore.ports.results import ResultRepository
    from runstore.ports.runs import RunRepository
    from runstore.ports.workflows import WorkflowRepository
    from runstore.registry.url import StoreURL

__all__ = ["Backend", "BackendFactory", "BackendInfo", "Capabilities"]


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a backend promises. The conformance suite checks both sides of each flag.

    - ``transactions``: ``Store.transaction()`` is atomic (commit or roll back as one).
    - ``savepoints``: nested ``transaction()`` calls roll back on their own.
    - ``multi_process``: several processes may share the store at once.
    - ``durable``: committed data survives closing the store (and a killed process).
    """

    transactions: bool
    savepoints: bool
    multi_process: bool
    durable: bool


@dataclass(frozen=True, slots=True)
class BackendInfo:
    """A summary of a backend for ``runstore info``."""

    backend: str
    url: str
    schema_version: str | None
    counts: dict[str, int]


class Backend(Protocol):
    """One opened storage backend. Repositories are attributes (``workflows``...).

    A backend that lacks a repository simply has no such attribute; the Store turns
    that into ``UnsupportedOperation``.
    """

    @property
    def url(self) -> StoreURL: ...

    @property
    def capabilities(self) -> Capabilities: ...

    @property
    def workflows(self) -> WorkflowRepository: ...

    @property
    def conversations(self) -> ConversationRepository: ...

    @property
    def runs(self) -> RunRepository: ...

    @property
    def logs(self) -> LogRepository: ...

    @property
    def metrics(self) -> MetricsRepository: ...

    @property
    def results(self) -> ResultRepository: ...

    @property
    def definitions(self) -> DefinitionRepository: ...

    @property
    def artifacts(self) -> ArtifactRepository: ...

    def transaction(self) -> AbstractContextManager[None]:
        """Commit on normal exit, roll back on an exception; nested calls are savepoints."""
        ...

    def lock(self, name: str, timeout: float | None = None) -> AbstractContextManager[None]:
        """A named lock that excludes other processes and threads."""
        ...

    def info(self) -> BackendInfo: ...

    def close(self) -> None: ...


class BackendFactory(Protocol):
    """What the registry loads for a URL scheme: a class with an ``open`` classmethod."""

    schemes: ClassVar[tuple[str, ...]]

    @classmethod
    def open(cls, url: StoreURL, /, **options: object) -> Backend: ...
