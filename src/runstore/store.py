"""The Store: one object that gives every repository, whatever backends are underneath."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager, ExitStack
from types import TracebackType
from typing import Any, Final, Self

from runstore.errors import InvalidInput, RunstoreError, UnsupportedOperation
from runstore.ports.artifacts import ArtifactRepository
from runstore.ports.conversations import ConversationRepository
from runstore.ports.definitions import DefinitionRepository
from runstore.ports.logs import LogRepository
from runstore.ports.metrics import MetricsRepository
from runstore.ports.results import ResultRepository
from runstore.ports.runs import RunRepository
from runstore.ports.store import Backend, BackendInfo, Capabilities
from runstore.ports.workflows import WorkflowRepository

__all__ = ["REPOSITORIES", "Store"]

REPOSITORIES: Final = (
    "workflows",
    "runs",
    "logs",
    "metrics",
    "results",
    "definitions",
    "conversations",
    "artifacts",
)


class Store:
    """Typed access to every repository of one or more backends.

    Open one with :func:`runstore.open` or :func:`runstore.open_config`. A Store is a
    context manager (``close()`` on exit) and may be shared across threads.

    Transactions: ``with store.transaction():`` commits on normal exit and rolls back
    when the block raises. Nested calls are savepoints where the backend has them
    (``capabilities.savepoints``); elsewhere nesting raises ``UnsupportedOperation``.
    """

    def __init__(self, default: Backend, overrides: Mapping[str, Backend] | None = None) -> None:
        unknown = set(overrides or {}) - set(REPOSITORIES)
        if unknown:
            raise InvalidInput(
                f"unknown repositories {sorted(unknown)}; known: {', '.join(REPOSITORIES)}"
            )
        self._default = default
        self._backends: dict[str, Backend] = {
            name: (overrides or {}).get(name, default) for name in REPOSITORIES
        }
        self._closed = False

    # -- repositories -------------------------------------------------------------------

    @property
    def workflows(self) -> WorkflowRepository:
        """Versioned workflow definitions."""
        return self._repository("workflows")  # type: ignore[no-any-return]

    @property
    def conversations(self) -> ConversationRepository:
        """Conversation transcripts: messages in order, attachment records."""
        return self._repository("conversations")  # type: ignore[no-any-return]

    @property
    def runs(self) -> RunRepository:
        """Runs, tasks, attempts (external jobs) and worker claims."""
        return self._repository("runs")  # type: ignore[no-any-return]

    @property
    def logs(self) -> LogRepository:
        """Append-only execution events per run, and one log record per run."""
        return self._repository("logs")  # type: ignore[no-any-return]

    @property
    def metrics(self) -> MetricsRepository:
        """Aggregated execution metrics, trends and patterns per workflow."""
        return self._repository("metrics")  # type: ignore[no-any-return]

    @property
    def results(self) -> ResultRepository:
        """Cached task results and failures (large values live in ``artifacts``)."""
        return self._repository("results")  # type: ignore[no-any-return]

    @property
    def definitions(self) -> DefinitionRepository:
        """Immutable symbolic definitions, addressed by content hash."""
        return self._repository("definitions")  # type: ignore[no-any-return]

    @property
    def artifacts(self) -> ArtifactRepository:
        """Content-addressed blobs in a local folder, memory or S3."""
        return self._repository("artifacts")  # type: ignore[no-any-return]

    def backend_for(self, repository: str) -> Backend:
        """The backend that holds ``repository``."""
        try:
            return self._backends[repository]
        except KeyError:
            raise InvalidInput(
                f"unknown repository {repository!r}; known: {', '.join(REPOSITORIES)}"
            ) from None

    def _repository(self, name: str) -> Any:
        if self._closed:
            raise RunstoreError("the store is closed")
        backend = self._backends[name]
        try:
            return getattr(backend, name)
        except AttributeError:
            raise UnsupportedOperation(
                f"backend {backend.url} has no {name} repository"
            ) from None

    # -- store-wide operations ----------------------------------------------------------

    @property
    def url(self) -> str:
        """The default backend's URL, password masked."""
        return self._default.url.render()

    @property
    def backends(self) -> list[Backend]:
        """The distinct backends behind this store, default first."""
        seen: dict[int, Backend] = {id(self._default): self._default}
        for backend in self._backends.values():
            seen.setdefault(id(backend), backend)
        return list(seen.values())

    @property
    def capabilities(self) -> Capabilities:
        """What every backend of this store promises (the weakest of them)."""
        caps = [backend.capabilities for backend in self.backends]
        return Capabilities(
            transactions=all(c.transactions for c in caps),
            savepoints=all(c.savepoints for c in caps),
            multi_process=all(c.multi_process for c in caps),
            durable=all(c.durable for c in caps),
        )

    def transaction(self, *repositories: str) -> AbstractContextManager[None]:
        """A transaction over ``repositories`` (all of them by default).

        A transaction spans repositories that share a backend; naming repositories on
        different backends raises ``UnsupportedOperation``.
        """
        names = repositories or REPOSITORIES
        involved = {id(self.backend_for(name)): self.backend_for(name) for name in names}
        if len(involved) > 1:
            where = ", ".join(f"{name} on {self.backend_for(name).url}" for name in names)
            raise UnsupportedOperation(
                "a transaction spans one backend, but these repositories are on several: "
                f"{where}; pass the repositories you need, e.g. store.transaction('logs')"
            )
        backend = next(iter(involved.values()))
        if not backend.capabilities.transactions:
            raise UnsupportedOperation(f"backend {backend.url} does not support transactions")
        return backend.transaction()

    def lock(self, name: str, timeout: float | None = None) -> AbstractContextManager[None]:
        """A named lock excluding other threads and processes; ``LockTimeout`` on timeout.

        ``timeout=None`` waits as long as it takes; ``0`` tries once.
        """
        if not isinstance(name, str) or not name or len(name) > 200:
            raise InvalidInput(f"invalid lock name {name!r}: use 1 to 200 characters")
        return self._default.lock(name, timeout)

    def info(self) -> list[BackendInfo]:
        """One summary per backend: schema version and record counts."""
        return [backend.info() for backend in self.backends]

    def close(self) -> None:
        """Close every backend. Calling it again does nothing."""
        if self._closed:
            return
        self._closed = True
        with ExitStack() as stack:
            for backend in self.backends:
                stack.callback(backend.close)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<runstore.Store {self.url}>"
