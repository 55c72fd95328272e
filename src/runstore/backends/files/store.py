"""The files backend: plain files a person can read, diff and commit to git."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import ClassVar, Self

from runstore.backends._shared.blobs import open_blob_store
from runstore.backends._shared.conversations import artifacts_of
from runstore.backends._shared.locks import file_lock
from runstore.backends._shared.options import ResultOptions, split_options
from runstore.backends._shared.results import ResultCodec
from runstore.backends.files.conversations import FileConversationRepository
from runstore.backends.files.health import check_records
from runstore.backends.files.layout import FORMAT_STEPS, FORMAT_VERSION, FileLayout
from runstore.backends.files.logs import FileLogRepository
from runstore.backends.files.metrics import FileMetricsRepository
from runstore.backends.files.results import FileDefinitionRepository, FileResultRepository
from runstore.backends.files.runs import FileRunRepository
from runstore.backends.files.workflows import FileWorkflowRepository
from runstore.errors import BackendUnavailable, CorruptRecord, InvalidInput, UnsupportedOperation
from runstore.ports.health import Finding
from runstore.ports.store import BackendInfo, Capabilities
from runstore.registry.url import StoreURL

__all__ = ["FileBackend"]


class FileBackend:
    """``file://PATH``: one folder of YAML and JSON files.

    Every write is atomic (temp file, fsync, rename) and file locks make it safe for
    several processes. There are no multi-record transactions: ``transaction()``
    raises ``UnsupportedOperation``. ``?fsync=false`` trades durability for speed.
    """

    schemes: ClassVar[tuple[str, ...]] = ("file",)

    def __init__(self, url: StoreURL, root: Path, *, durable: bool,
                 results: ResultOptions | None = None) -> None:
        self._url = url
        self._layout = FileLayout(root, durable=durable)
        self.capabilities = Capabilities(
            transactions=False, savepoints=False, multi_process=True, durable=durable
        )
        self.workflows = FileWorkflowRepository(self._layout)
        self.conversations = FileConversationRepository(self._layout, artifacts_of(self))
        self.runs = FileRunRepository(self._layout)
        results = results or ResultOptions()
        # Blobs default to ROOT/artifacts/ (``?artifacts=`` or the option puts them elsewhere).
        self.artifacts = open_blob_store(results.artifacts or f"file://{root / 'artifacts'}",
                                         durable=durable)
        self.results = FileResultRepository(self._layout, ResultCodec(results, self.artifacts))
        self.definitions = FileDefinitionRepository(self._layout)
        self.logs = FileLogRepository(self._layout)
        self.metrics = FileMetricsRepository(self._layout)

    @classmethod
    def open(cls, url: StoreURL, /, **options: object) -> Self:
        results, options, _ = split_options(url, options)
        if options:
            raise InvalidInput(f"file:// takes no options, got {sorted(options)}")
        if not url.path:
            raise InvalidInput(f"{url}: give a folder, e.g. file://./data or file:///srv/data")
        unknown = set(url.query) - {"fsync", "artifacts"}
        if unknown:
            raise InvalidInput(
                f"{url}: unknown option {sorted(unknown)[0]!r}; known: artifacts, fsync")
        durable = url.query.get("fsync", "true").lower() not in {"0", "false", "no"}
        root = Path(url.path).expanduser()
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BackendUnavailable(url.render(), f"cannot create folder: {exc}") from exc
        backend = cls(url, root.resolve(), durable=durable, results=results)
        backend._layout.initialize_or_check(url.render())
        return backend

    @classmethod
    def upgrade(cls, url: StoreURL, /, **options: object) -> tuple[str | None, str]:
        """Bring the folder's manifest and files up to this runstore's format."""
        root = Path(url.path).expanduser()
        if not root.is_dir():
            raise BackendUnavailable(url.render(), "no such folder")
        return FileLayout(root.resolve()).upgrade()

    @classmethod
    def check(cls, url: StoreURL, /, *, repair: bool = False) -> list[Finding]:
        """Files that do not parse or whose hashes do not match (the manifest, workflows,
        results, definitions, metrics, runs, logs, conversations); ``repair`` moves them
        to ``ROOT/quarantine/``, keeping the good lines of a damaged log file."""
        root = Path(url.path).expanduser()
        if not root.is_dir():
            raise BackendUnavailable(url.render(), "no such folder")
        layout = FileLayout(root.resolve())
        findings: list[Finding] = []
        try:
            layout.read_manifest()
        except CorruptRecord as exc:
            findings.append(Finding(exc.location, exc.reason, lost="the format record",
                                    action="rewritten" if repair else ""))
            if repair:
                layout.write_manifest(list(FORMAT_STEPS))
        for repository in cls._repositories(layout):
            findings.extend(repository.check(repair=repair))
        findings.extend(check_records(layout, repair=repair))
        return findings

    @staticmethod
    def _repositories(layout: FileLayout) -> list[FileWorkflowRepository]:
        return [FileWorkflowRepository(layout)]

    @property
    def url(self) -> StoreURL:
        return self._url

    @property
    def root(self) -> Path:
        return self._layout.root

    def transaction(self) -> AbstractContextManager[None]:
        raise UnsupportedOperation(
            f"{self._url}: the files backend has no multi-record transactions; "
            "each write is atomic on its own"
        )

    def lock(self, name: str, timeout: float | None = None) -> AbstractContextManager[None]:
        return file_lock(self._layout.locks / "user", name, timeout)

    def info(self) -> BackendInfo:
        return BackendInfo(
            backend="file", url=self._url.render(), schema_version=f"format {FORMAT_VERSION}",
            counts={"workflows": self.workflows.count(), "log_records": self.logs.count(),
                    "results": self.results.count(),
                    "runs": self.runs.count()},
        )

    def close(self) -> None:
        """Nothing is held open between calls."""
        self.artifacts.close()
